"""What a recording keeps of a credential: nothing, wherever it appears.

vcrpy's ``filter_headers`` and ``filter_query_parameters`` drop the key from where a client sends it;
these hooks also mask it in bodies, where a gateway echoes it in an error or a prompt quotes it. Both
use the product's own masking (``pipeline.providers.secrets.redact``): every credential the
environment holds, every piece of one, and anything key-shaped.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from pipeline.providers.secrets import redact

#: Credentials as providers issue them: Google API keys, OpenAI-style secret keys, OAuth access tokens.
KEY_LIKE = re.compile(r"AIza[0-9A-Za-z_\-]{30,}|\bsk-[A-Za-z0-9_\-]{20,}|\bya29\.[0-9A-Za-z_\-]{20,}")
SECRET_HEADERS = {"x-goog-api-key", "authorization", "x-api-key", "api-key"}


def _masked(body: bytes | str | None) -> bytes | str | None:
    """``body`` with its credentials masked; the same object when it holds none (or isn't text)."""
    if body is None:
        return None
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        return body
    masked = redact(text)
    if masked == text:
        return body
    return masked.encode("utf-8") if isinstance(body, bytes) else masked


def masked_request(request):
    """For ``before_record_request``: the request with its body's credentials masked."""
    body = _masked(request.body)
    if body is request.body:
        return request
    request = copy.deepcopy(request)
    request.body = body
    return request


def masked_response(response: dict) -> dict:
    """For ``before_record_response``: the response with its body's credentials masked."""
    body = response.get("body", {}).get("string")
    masked = _masked(body)
    if masked is not body:
        response = {**response, "body": {**response["body"], "string": masked}}
    return response


def leaks(path: Path) -> list[str]:
    """Key-like values anywhere in the file, and credential headers or ``key`` parameters in its requests."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found = [f"key-like value {match.group()[:8]}…" for match in KEY_LIKE.finditer(text)]
    if path.suffix in (".yaml", ".yml"):
        for interaction in (yaml.safe_load(text) or {}).get("interactions", []):
            request = interaction["request"]
            found += [f"{name} header" for name in request.get("headers", {}) if name.lower() in SECRET_HEADERS]
            if "key" in parse_qs(urlsplit(request["uri"]).query):
                found.append("key query parameter")
    return found
