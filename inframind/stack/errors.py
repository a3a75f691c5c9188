"""The one error `inframind up` reports before starting anything: the message says what to do."""


class StackError(Exception):
    """The stack cannot start (a missing binary, a busy port, a missing rules directory ...)."""
