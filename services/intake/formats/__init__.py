"""One module per provider's wire format: each turns a request's content into
normalized `InboundMessage`s (or refuses it with an ApiError), without I/O.
Signatures are checked before a parser runs (see chassis/signatures.py)."""
