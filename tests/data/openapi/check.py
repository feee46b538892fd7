"""Checks chiron serve's OpenAPI document and what the server answered.

Usage: check.py DOCUMENT EXCHANGES

DOCUMENT is the document as served; it must pass openapi-spec-validator.
EXCHANGES is a JSON list of requests made to the running server, each
{"path": template, "method", "status", "content_type", "body_base64"}.
Each must be an operation of the document, its status one the operation
lists, its media type one that response lists, and a JSON body must
validate against that response's schema (JSON Schema 2020-12, with the
document's own $refs). Every operation of the document must have been
exercised with an answer other than 404.

Prints {"problems": [...], "validated": N} (N: JSON bodies validated).
"""

import base64
import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:chiron:openapi"


def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        document = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        exchanges = json.load(f)
    validate(document)
    registry = Registry().with_resource(
        BASE, Resource(contents=document, specification=DRAFT202012)
    )

    def follow(node, pointer):
        """The node a $ref chain ends at, with its JSON pointer."""
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            node = document
            for token in pointer.split("/")[1:]:
                node = node[token.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    problems = []
    validated = 0
    answered = set()
    for x in exchanges:
        where = f"{x['method']} {x['path']} -> {x['status']}"
        method = x["method"].lower()
        item, pointer = follow(
            document["paths"].get(x["path"]), "/paths/" + escape(x["path"])
        )
        if item is None or method not in item:
            problems.append(f"{where}: no such operation in the document")
            continue
        if x["status"] != 404:
            answered.add((x["path"], method))
        pointer = f"{pointer}/{method}/responses"
        response = item[method]["responses"].get(str(x["status"]))
        if response is None:
            problems.append(f"{where}: status not listed")
            continue
        response, pointer = follow(response, f"{pointer}/{x['status']}")
        body = base64.b64decode(x["body_base64"])
        content = response.get("content", {})
        if not body and not content:
            continue
        if not x["content_type"]:
            if body:
                problems.append(f"{where}: a body without a content type")
            continue
        media = x["content_type"].split(";")[0].strip()
        if media not in content:
            problems.append(f"{where}: media type {media} not listed")
            continue
        if not media.endswith("json"):
            continue
        schema_pointer = f"{pointer}/content/{escape(media)}/schema"
        validator = Draft202012Validator(
            {"$ref": f"{BASE}#{schema_pointer}"}, registry=registry
        )
        try:
            instance = json.loads(body)
        except ValueError as error:
            problems.append(f"{where}: not JSON: {error}")
            continue
        for error in validator.iter_errors(instance):
            problems.append(f"{where}: {error.message} at {error.json_path}")
        validated += 1
    for path, item in document["paths"].items():
        item, _ = follow(item, "")
        for method in ("get", "post", "put", "delete", "head", "patch"):
            if method in item and (path, method) not in answered:
                problems.append(f"{method.upper()} {path}: never answered (or only 404)")
    print(json.dumps({"problems": problems, "validated": validated}))


if __name__ == "__main__":
    main()
