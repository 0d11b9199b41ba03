"""The embedded AWS: a synthesized CDK stack deployed into moto and run in this process, offline (see README.md).

Light on purpose: importing the package imports nothing of moto; import the module you need.
"""

__version__ = "0.1.0"
