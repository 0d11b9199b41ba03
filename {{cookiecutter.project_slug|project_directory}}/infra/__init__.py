"""Infrastructure of the service. This package must import without aws-cdk-lib (saga tooling uses it)."""
