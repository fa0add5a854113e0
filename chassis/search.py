"""Elasticsearch through the official client."""
from elasticsearch import Elasticsearch


def make_client(url: str) -> Elasticsearch:
    return Elasticsearch(url, request_timeout=30, retry_on_timeout=True, max_retries=3)
