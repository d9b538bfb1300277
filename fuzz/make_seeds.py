#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/ (valid inputs the fuzzers mutate from).

    fuzz/make_seeds.py        # from the repository root; rewrites the generated seeds

Tokens, ledger records, segments and snapshots are encoded here the way billing/ writes them
(docs/billing.md has the layouts); requests and the binary catalog go through Debian's protoc
--encode; JSON catalogs and scenarios are the tree's own files. Each seed starts with the mode
byte its fuzzer reads first (see each *_fuzzer.cc), except the request fuzzers' which take bare
protobuf. Regression seeds for fixed findings are added by hand and kept (named regression-*).
"""
import base64
import hashlib
import hmac
import os
import struct
import subprocess
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
DEV_KEY_ID = b"insecure-dev"
DEV_SECRET = b"gavel-insecure-development-key-do-not-use"
NOW_US = 1_780_000_000 * 1_000_000  # the fuzzers' fixed clock


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def signed(v):
    return varint(((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF)


def lpbytes(s):
    return varint(len(s)) + s


def write(fuzzer, name, data):
    d = os.path.join(CORPUS, fuzzer)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def token_payload(token_type, price, user_hash=0):
    # billing/token.cc EncodePayload.
    p = bytes([1, token_type]) + lpbytes(DEV_KEY_ID) + lpbytes(b"a1") + varint(0)
    for field in (b"ad-1", b"grp-1", b"cmp-1", b"adv-1", b"prd-1"):
        p += lpbytes(field)
    p += varint(price) + varint(1) + struct.pack("<Q", user_hash)
    p += signed(NOW_US - 60_000_000) + signed(NOW_US + 3_600_000_000)
    return p


def token(payload):
    mac = hmac.new(DEV_SECRET, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=")


def record(event_id, token_type, outcome, price, campaign=b"cmp-1", token_id=b"T" * 16):
    # billing/records.cc EncodeEventRecord.
    r = bytes([1, token_type, outcome, 0]) + lpbytes(event_id) + signed(NOW_US)
    r += signed(price if outcome == 1 else 0) + signed(price) + lpbytes(campaign) + lpbytes(b"ad-1")
    r += struct.pack("<Q", 42) + lpbytes(token_id) + signed(NOW_US + 3_600_000_000)
    r += signed(NOW_US // 86_400_000_000)
    return r


def segment(payloads):
    out = b"GAVELWAL"
    for lsn, p in enumerate(payloads, 1):
        body = struct.pack("<Q", lsn) + p
        length = struct.pack("<I", len(body))
        out += length + struct.pack("<I", zlib.crc32(length + body)) + body
    return out


def snapshot_state():
    # billing/ledger_store.cc SerializeState, version 2: one spend row, one entry in each dedupe
    # set, one user's click times, one stats row.
    s = bytes([2]) + varint(1) + lpbytes(b"cmp-1") + signed(20_600) + signed(500_000)
    for _ in range(3):
        s += varint(1) + struct.pack("<Q", 7) + varint(9) + signed(NOW_US // 1000 + 3_600_000)
    s += varint(1) + struct.pack("<Q", 42) + varint(1) + signed(NOW_US)
    s += varint(1) + lpbytes(b"cmp-1") + signed(20_600)
    for v in (3, 1, 0, 0, 500_000):
        s += signed(v)
    return s


def protoc_encode(message, text):
    return subprocess.run(
        ["protoc", "--proto_path=" + os.path.join(ROOT, "proto"), "--encode=" + message,
         "gavel/v1/auction.proto", "gavel/v1/events.proto", "gavel/v1/types.proto"],
        input=text.encode(), capture_output=True, check=True).stdout


def main():
    click = token_payload(2, 500_000)
    impression = token_payload(1, 500_000, user_hash=99)
    write("token_fuzzer", "click", b"\x00" + token(click))
    write("token_fuzzer", "impression", b"\x00" + token(impression))
    write("token_fuzzer", "payload_click", b"\x01" + click)
    write("token_fuzzer", "payload_impression", b"\x01" + impression)
    write("token_fuzzer", "winner", b"\x02\x02a1" + b"\x00\x00\x00\x01" + b"\x04ad-1\x05cmp-1" +
          struct.pack(">Q", 500_000) + b"\x00\x00\x00\x01" + b"\x02u1")

    charged = record(b"e1", 2, 1, 500_000)
    recorded = record(b"e2", 1, 2, 500_000, token_id=b"U" * 16)
    invalid = record(b"e3", 2, 4, 0, campaign=b"", token_id=b"")
    write("ledger_fuzzer", "record_charged", b"\x00" + charged)
    write("ledger_fuzzer", "record_invalid", b"\x00" + invalid)
    write("ledger_fuzzer", "segment", b"\x01" + segment([charged, recorded, invalid]))
    write("ledger_fuzzer", "segment_torn_tail", b"\x01" + segment([charged, recorded])[:-5])
    write("ledger_fuzzer", "segment_empty", b"\x01GAVELWAL")
    write("ledger_fuzzer", "snapshot_state", b"\x02" + snapshot_state())
    write("ledger_fuzzer", "replay", b"\x03" + b"".join(lpbytes(p) for p in (charged, recorded, invalid)))

    write("events_request_fuzzer", "click_and_impression", protoc_encode(
        "gavel.v1.ReportEventsRequest",
        'events { client_event_id: "e1" type: EVENT_TYPE_CLICK token: "%s" user_id: "u1" }\n'
        'events { client_event_id: "e2" type: EVENT_TYPE_IMPRESSION token: "%s" '
        'event_time_unix_micros: 1780000000000000 }\n' % (token(click).decode(), token(impression).decode())))
    write("events_request_fuzzer", "one_event", protoc_encode(
        "gavel.v1.ReportEventsRequest", 'events { client_event_id: "x" type: EVENT_TYPE_CLICK token: "t" }'))

    auction = {
        "search": 'request_id: "r1" placement: PLACEMENT_TOP_OF_SEARCH slots: 4 query: "trail running shoes" '
                  'shopper { user_id: "u1" segments: "runner" device: DEVICE_MOBILE_APP country: "US" '
                  'time_zone: "America/New_York" } options { explain: true }',
        "product_page": 'request_id: "r2" placement: PLACEMENT_PRODUCT_PAGE slots: 2 '
                        'page { category_ids: "cat-0" viewed_product_id: "prd-1" cart_product_ids: "prd-2" }',
        "caller_candidates": 'request_id: "r3" placement: PLACEMENT_TOP_OF_SEARCH slots: 2 query: "boots" '
                             'candidates { candidate_id: "x1" advertiser_id: "adv-1" campaign_id: "cmp-1" '
                             'product_id: "p1" bid_micros: 900000 quality: 0.5 } '
                             'candidates { candidate_id: "x2" advertiser_id: "adv-2" campaign_id: "cmp-2" '
                             'product_id: "p2" bid_micros: 700000 } options { mechanism: MECHANISM_VCG }',
        "dry_run_seeded": 'request_id: "r4" placement: PLACEMENT_CATEGORY_PAGE slots: 3 '
                          'page { category_ids: "cat-1" } options { dry_run: true tie_break_seed: 5 '
                          'mechanism: MECHANISM_FIRST_PRICE explain: true }',
    }
    for name, text in auction.items():
        write("auction_request_fuzzer", name, protoc_encode("gavel.v1.RunAuctionRequest", text))

    with open(os.path.join(ROOT, "data", "demo_catalog.json"), "rb") as f:
        write("catalog_fuzzer", "demo_catalog_json", b"\x00" + f.read())
    small = ('advertisers { id: "adv-1" name: "A" } '
             'campaigns { id: "cmp-1" advertiser_id: "adv-1" name: "C" daily_budget_micros: 10000000 } '
             'products { id: "prd-1" title: "red trail shoes" category_id: "cat-1" } '
             'categories { id: "cat-1" name: "Shoes" }')
    write("catalog_fuzzer", "small_binpb", b"\x01" + protoc_encode("gavel.v1.Catalog", small))

    for name in ("quick.textproto", "pacing.textproto", "compare_mechanisms.textproto"):
        with open(os.path.join(ROOT, "sim", "scenarios", name), "rb") as f:
            write("scenario_fuzzer", name.replace(".", "_"), b"\x00" + f.read())
    with open(os.path.join(ROOT, "sim", "scenarios", "quick.json"), "rb") as f:
        write("scenario_fuzzer", "quick_json", b"\x01" + f.read())

    digest = lambda key: "sha256:" + hashlib.sha256(key).hexdigest()
    write("clients_fuzzer", "clients_file", (
        "# The storefront, rotating its key.\n"
        "client web placements=top_of_search,rest_of_search,product_page\n"
        f"key web {digest(b'web-key-0123456789abcdef')}\n"
        f"key web {digest(b'web-key-next-0123456789ab')}\n"
        "client dsp placements=* candidates=yes advertisers=adv-sonic,adv-aurel\n"
        f"key dsp {digest(b'dsp-key-0123456789abcdef')}   # trailing comment\n"
        "\n"
        f"admin adv-sonic\t{digest(b'sonic-admin-0123456789ab')}\n").encode())
    write("clients_fuzzer", "one_client", (
        f"client a\nkey a {digest(b'a' * 16)}\n").encode())


if __name__ == "__main__":
    main()
