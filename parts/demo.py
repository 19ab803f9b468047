"""Demo data of this app, called by `manage.py seed_demo`. Must be idempotent."""


def seed(*, branches, users, stdout) -> None:
    """branches: {"HQ"|"SH"|"HZ": Branch}; users: {username: User} (see seed_demo.USERS)."""
