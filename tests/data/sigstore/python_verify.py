"""sigstore-python's offline verdict on Sigstore bundles, for the
differential test: reads a JSON list of cases ({"bundle", "artifact",
"root", and "identity" + "issuer", or "key"}) on stdin and prints one JSON
object per case: {"ok": bool, "error": str}. A DSSE bundle must also name
the artifact's sha256 among its statement's subjects, as
`sigstore verify` requires of attestations about a file."""

import hashlib
import json
import sys

from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy


def verdict(case):
    try:
        root = TrustedRoot.from_file(case["root"])
        verifier = Verifier(trusted_root=root)
        bundle = Bundle.from_json(open(case["bundle"], "rb").read())
        artifact = open(case["artifact"], "rb").read()
        wanted = policy.Identity(identity=case["identity"], issuer=case["issuer"])
        if bundle._dsse_envelope is not None:
            _, payload = verifier.verify_dsse(bundle, wanted)
            digest = hashlib.sha256(artifact).hexdigest()
            subjects = json.loads(payload).get("subject", [])
            if not any(s.get("digest", {}).get("sha256") == digest for s in subjects):
                raise ValueError("the attestation is not about the artifact")
        else:
            verifier.verify_artifact(artifact, bundle, wanted)
        return {"ok": True, "error": ""}
    except Exception as error:  # every failure is a "no"
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


for case in json.load(sys.stdin):
    print(json.dumps(verdict(case)))
