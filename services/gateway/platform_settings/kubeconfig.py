"""Checking an uploaded kubeconfig, and the names in it the settings show.

The file's content is secret (it holds credentials): messages name keys and positions, never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PLUGINS = ("exec", "auth-provider")
FILE_REFERENCES = ("certificate-authority", "client-certificate", "client-key", "tokenFile")


@dataclass(frozen=True)
class KubeconfigSummary:
    """What the settings show of a kubeconfig (names are not secret)."""

    contexts: list[str]
    current_context: str | None


def summarize(text: str) -> KubeconfigSummary:
    """Check that ``text`` is a self-contained kubeconfig; ``ValueError`` says what is wrong.

    Credential plugins and file references are refused: the platform does not run commands or
    read server files on behalf of an uploaded file.
    """
    try:
        document = yaml.load(text, Loader=_Loader)  # CSafeLoader or SafeLoader: no objects built
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ValueError(f"is not valid YAML{where}") from None
    except yaml.YAMLError:
        raise ValueError("is not valid YAML") from None
    if not isinstance(document, dict):
        raise ValueError("must be a kubeconfig: a YAML mapping with clusters, contexts and users")
    named = {key: _named(document, key) for key in ("clusters", "contexts", "users")}
    for index, user in enumerate(document["users"]):
        _self_contained(user.get("user"), f"users[{index}].user")
    for index, cluster in enumerate(document["clusters"]):
        _self_contained(cluster.get("cluster"), f"clusters[{index}].cluster")
    for index, entry in enumerate(document["contexts"]):
        context = entry.get("context")
        if not isinstance(context, dict):
            raise ValueError(f"contexts[{index}] has no context mapping")
        for kind in ("cluster", "user"):
            if context.get(kind) not in named[f"{kind}s"]:
                raise ValueError(f"contexts[{index}] refers to a {kind} the file does not define")
    current = document.get("current-context") or None
    if current is not None and current not in named["contexts"]:
        raise ValueError("current-context names a context the file does not define")
    return KubeconfigSummary(contexts=named["contexts"], current_context=current)


def _named(document: dict[str, Any], key: str) -> list[str]:
    entries = document.get(key)
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"has no {key}: a kubeconfig needs clusters, contexts and users")
    names = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ValueError(f"{key}[{index}] has no name")
        names.append(entry["name"])
    return names


def _self_contained(section: Any, where: str) -> None:
    if not isinstance(section, dict):
        raise ValueError(f"{where} is missing or not a mapping")
    for key in PLUGINS:
        if key in section:
            raise ValueError(
                f"{where}.{key} is not supported: the platform does not run credential plugins; "
                "use a token or client certificate embedded in the file, or endpoint + CA + token"
            )
    for key in FILE_REFERENCES:
        if key in section:
            embedded = "token" if key == "tokenFile" else f"{key}-data"
            raise ValueError(f"{where}.{key} refers to a file; embed the data instead ({embedded})")
