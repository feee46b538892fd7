"""Prints, as JSON, what Python's html.parser reads in a simple-API page:
the pypi:repository-version meta tag and every <a> with its attributes
(entities decoded) and text."""

import json
import sys
from html.parser import HTMLParser


class Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta = {}
        self.links = []
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "name" in attrs:
            self.meta[attrs["name"]] = attrs.get("content")
        if tag == "a":
            self._open = {"attrs": attrs, "text": ""}

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.links.append(self._open)
            self._open = None


parser = Links()
with open(sys.argv[1], encoding="utf-8") as page:
    parser.feed(page.read())
parser.close()
print(json.dumps({"meta": parser.meta, "links": parser.links}))
