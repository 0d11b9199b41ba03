"""Deploying a cloud assembly into moto and running it: the deployment, resources, runtime, virtual clock, faults."""
