"""The one exception root of Mindshare, and the tree below it.

MindshareError
├── ConfigurationError      settings or world configuration that cannot work
├── StoreError              the store cannot be reached, created or migrated
├── NotFound                a named world, person, creator or item does not exist
└── InputError              input that cannot be read at all (a whole file or request)
    └── UnreadableFile      a file that does not exist or is not in the stated format

A single bad *record* is never an exception: it is rejected with a reason and kept.
"""


class MindshareError(Exception):
    """Root of every error Mindshare raises on purpose."""


class ConfigurationError(MindshareError):
    """Settings or a world's configuration that cannot work."""


class StoreError(MindshareError):
    """The store cannot be reached, created or migrated."""


class NotFound(MindshareError):
    """A named world, person, creator or item does not exist."""


class InputError(MindshareError):
    """Input that cannot be read at all, as a whole."""


class InfeasibleAllocation(InputError):
    """Allocation constraints that no allocation can meet; the message says which, by how much."""


class UnreadableFile(InputError):
    """A file that does not exist, cannot be opened, or is not in the stated format."""
