"""A private Sigstore instance for the tests, made with Python's
cryptography: a root and an intermediate CA issuing a Fulcio-style
code-signing certificate (SAN URI, OIDC issuer extension), a Rekor-style
log key, a certificate transparency log whose SCT is embedded in the
certificate, and, for an artifact, the Sigstore bundle (v0.3, message
signature) with a hashedrekord entry, its signed entry timestamp and an
inclusion proof (RFC 6962, in a tree of other entries) with its checkpoint
signed by the log (a C2SP signed note). Writes trusted_root.json,
artifact.sigstore.json, artifact.attestation.json (a DSSE bundle) and
other_root.json (a root of another instance) in the given folder.

The certificates carry the extensions the Web PKI profile asks for (key
identifiers), so that sigstore-python, which validates paths with
cryptography's verifier, accepts the instance as chiron does."""

import base64
import datetime
import hashlib
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out, artifact_path = sys.argv[1], sys.argv[2]
IDENTITY = "https://github.example.invalid/acme/app/.github/workflows/release.yml@refs/tags/v1.0"
ISSUER = "https://token.actions.example.invalid"
T = 1700000000
when = datetime.datetime.fromtimestamp(T, datetime.timezone.utc)
b64 = lambda b: base64.b64encode(b).decode()


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "test.invalid"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca(cn, key, issuer_name, issuer_key, path_length):
    return (
        x509.CertificateBuilder()
        .subject_name(name(cn)).issuer_name(issuer_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(when - datetime.timedelta(days=365)).not_valid_after(when + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA384())
    )


def instance():
    root_key = ec.generate_private_key(ec.SECP384R1())
    root = ca("root", root_key, name("root"), root_key, 1)
    mid_key = ec.generate_private_key(ec.SECP384R1())
    mid = ca("intermediate", mid_key, root.subject, root_key, 0)
    return root, mid, mid_key


root, mid, mid_key = instance()
leaf_key = ec.generate_private_key(ec.SECP256R1())
issuer_ext = b"\x0c" + bytes([len(ISSUER)]) + ISSUER.encode()
serial = x509.random_serial_number()


def leaf_builder():
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([])).issuer_name(mid.subject).public_key(leaf_key.public_key())
        .serial_number(serial)
        .not_valid_before(when - datetime.timedelta(seconds=60)).not_valid_after(when + datetime.timedelta(minutes=10))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(IDENTITY)]), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(mid_key.public_key()), critical=False)
        .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), ISSUER.encode()), critical=False)
        .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), issuer_ext), critical=False)
    )


# The certificate transparency log signs the certificate without its SCT
# list (RFC 6962 precertificate entry), bound to the issuer's key hash.
ct_key = ec.generate_private_key(ec.SECP256R1())
ct_spki = ct_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
ct_id = hashlib.sha256(ct_spki).digest()
pre = leaf_builder().sign(mid_key, hashes.SHA384())
tbs = pre.tbs_certificate_bytes
issuer_key_hash = hashlib.sha256(mid.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
timestamp = (T * 1000).to_bytes(8, "big")
signed = b"\x00\x00" + timestamp + b"\x00\x01" + issuer_key_hash + len(tbs).to_bytes(3, "big") + tbs + b"\x00\x00"
ct_signature = ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
sct = b"\x00" + ct_id + timestamp + b"\x00\x00" + b"\x04\x03" + len(ct_signature).to_bytes(2, "big") + ct_signature
tls_list = (len(sct) + 2).to_bytes(2, "big") + len(sct).to_bytes(2, "big") + sct
octet = b"\x04" + (bytes([len(tls_list)]) if len(tls_list) < 128 else b"\x81" + bytes([len(tls_list)])) + tls_list
leaf = leaf_builder().add_extension(
    x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2"), octet), critical=False
).sign(mid_key, hashes.SHA384())
assert leaf.tbs_precertificate_bytes == tbs
leaf_der = leaf.public_bytes(serialization.Encoding.DER)
leaf_pem = leaf.public_bytes(serialization.Encoding.PEM)

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_hash(leaves):
    """RFC 6962 Merkle tree hash of leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(tree_hash(leaves[:k]), tree_hash(leaves[k:]))


def audit_path(index, leaves):
    """RFC 6962 audit path of leaf `index`."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if index < k:
        return audit_path(index, leaves[:k]) + [tree_hash(leaves[k:])]
    return audit_path(index - k, leaves[k:]) + [tree_hash(leaves[:k])]


ORIGIN = "rekor.test.invalid - 4242"
# Entries logged by others: the bundles' entries are at index 2 and 5 of
# a tree of 7.
OTHERS = [leaf_hash(b"another entry %d" % i) for i in range(7)]


def logged(index, body):
    """The inclusion proof of `body` at `index`, with its signed checkpoint."""
    leaves = list(OTHERS)
    leaves[index] = leaf_hash(body)
    root_hash = tree_hash(leaves)
    note = f"{ORIGIN}\n{len(leaves)}\n{b64(root_hash)}\n"
    signature = log_key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
    checkpoint = note + "\n\u2014 rekor.test.invalid " + b64(log_id[:4] + signature) + "\n"
    return {
        "logIndex": str(index), "rootHash": b64(root_hash), "treeSize": str(len(leaves)),
        "hashes": [b64(h) for h in audit_path(index, leaves)],
        "checkpoint": {"envelope": checkpoint},
    }


artifact = open(artifact_path, "rb").read()
digest = hashlib.sha256(artifact).digest()
signature = leaf_key.sign(artifact, ec.ECDSA(hashes.SHA256()))

log_key = ec.generate_private_key(ec.SECP256R1())
log_spki = log_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
log_id = hashlib.sha256(log_spki).digest()
body = json.dumps({
    "apiVersion": "0.0.1", "kind": "hashedrekord",
    "spec": {"data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
             "signature": {"content": b64(signature), "publicKey": {"content": b64(leaf_pem)}}},
}, separators=(",", ":")).encode()
set_payload = json.dumps({"body": b64(body), "integratedTime": T, "logID": log_id.hex(), "logIndex": 2},
                         separators=(",", ":"), sort_keys=True).encode()
set_signature = log_key.sign(set_payload, ec.ECDSA(hashes.SHA256()))

bundle = {
    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "verificationMaterial": {
        "certificate": {"rawBytes": b64(leaf_der)},
        "tlogEntries": [{
            "logIndex": "2", "logId": {"keyId": b64(log_id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
            "integratedTime": str(T),
            "inclusionPromise": {"signedEntryTimestamp": b64(set_signature)},
            "inclusionProof": logged(2, body),
            "canonicalizedBody": b64(body),
        }],
    },
    "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)}, "signature": b64(signature)},
}


def trusted_root(root, mid):
    chain = [{"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))} for c in (mid, root)]
    return {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{"baseUrl": "https://rekor.test.invalid", "hashAlgorithm": "SHA2_256",
                   "publicKey": {"rawBytes": b64(log_spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": "2023-01-01T00:00:00Z"}},
                   "logId": {"keyId": b64(log_id)}}],
        "certificateAuthorities": [{"subject": {"organization": "test.invalid", "commonName": "root"}, "uri": "https://fulcio.test.invalid",
                                    "certChain": {"certificates": chain}, "validFor": {"start": "2023-01-01T00:00:00Z"}}],
        "ctlogs": [{"baseUrl": "https://ctfe.test.invalid", "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": b64(ct_spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": "2023-01-01T00:00:00Z"}},
                    "logId": {"keyId": b64(ct_id)}}],
        "timestampAuthorities": [],
    }


json.dump(trusted_root(root, mid), open(f"{out}/trusted_root.json", "w"), indent=1)
other_root, other_mid, _ = instance()
json.dump(trusted_root(other_root, other_mid), open(f"{out}/other_root.json", "w"), indent=1)
json.dump(bundle, open(f"{out}/artifact.sigstore.json", "w"), indent=1)

# The same signer, attesting to the artifact: a DSSE bundle (as GitHub and
# PyPI attestations are) with a `dsse` log entry.
statement = json.dumps({
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "artifact.whl", "digest": {"sha256": digest.hex()}}],
    "predicateType": "https://slsa.dev/provenance/v1",
    "predicate": {"buildDefinition": {"buildType": "https://test.invalid/build"}},
}).encode()
payload_type = "application/vnd.in-toto+json"
pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type.encode(), len(statement), statement)
dsse_signature = leaf_key.sign(pae, ec.ECDSA(hashes.SHA256()))
envelope = {"payload": b64(statement), "payloadType": payload_type, "signatures": [{"sig": b64(dsse_signature), "keyid": ""}]}
dsse_body = json.dumps({
    "apiVersion": "0.0.1", "kind": "dsse",
    "spec": {"envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(json.dumps(envelope).encode()).hexdigest()},
             "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(statement).hexdigest()},
             "signatures": [{"signature": b64(dsse_signature), "verifier": b64(leaf_pem)}]},
}, separators=(",", ":")).encode()
dsse_set_payload = json.dumps({"body": b64(dsse_body), "integratedTime": T, "logID": log_id.hex(), "logIndex": 5},
                              separators=(",", ":"), sort_keys=True).encode()
attestation = {
    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "verificationMaterial": {
        "certificate": {"rawBytes": b64(leaf_der)},
        "tlogEntries": [{
            "logIndex": "5", "logId": {"keyId": b64(log_id)},
            "kindVersion": {"kind": "dsse", "version": "0.0.1"},
            "integratedTime": str(T),
            "inclusionPromise": {"signedEntryTimestamp": b64(log_key.sign(dsse_set_payload, ec.ECDSA(hashes.SHA256())))},
            "inclusionProof": logged(5, dsse_body),
            "canonicalizedBody": b64(dsse_body),
        }],
    },
    "dsseEnvelope": envelope,
}
json.dump(attestation, open(f"{out}/artifact.attestation.json", "w"), indent=1)
