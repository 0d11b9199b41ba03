"""Operations run from a workstation against a deployed stack (or the embedded AWS of `make serve`); never deployed."""
