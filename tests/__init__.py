"""The template's own tests; a package so test modules can share tests.helpers and tests.combinations."""
