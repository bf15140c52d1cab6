"""The one exception type of the zhibiao client: a gRPC status code and message."""

import grpc


class Error(Exception):
    """A call the suite (or the client, for a bad argument) refused.

    code: a grpc.StatusCode (UNAVAILABLE, INVALID_ARGUMENT, UNAUTHENTICATED,
    NOT_FOUND, ...); message: the service's message, naming the problem."""

    def __init__(self, code, message):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message

    @property
    def code_name(self):
        return self.code.name


def invalid_argument(message):
    return Error(grpc.StatusCode.INVALID_ARGUMENT, message)


def raise_from_rpc(error):
    """Re-raises a grpc.RpcError as Error, keeping the code and message."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    raise Error(code, details or "") from None
