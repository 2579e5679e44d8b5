from synae.metrics.pii import PATTERNS, PiiPattern, find_pii, iban_valid, luhn_valid, register_pattern


def kinds(text):
    return [(m.kind, m.value) for m in find_pii(text)]


def test_checksums_decide_ibans_and_cards():
    assert iban_valid("GB82WEST12345698765432") and not iban_valid("GB83WEST12345698765432")
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert kinds("IBAN GB82 WEST 1234 5698 7654 32") == [("iban", "GB82WEST12345698765432")]
    assert kinds("card 4111-1111-1111-1111") == [("card", "4111111111111111")]
    wrong = kinds("GB83 WEST 1234 5698 7654 32, 4111 1111 1111 1112")
    assert not any(k in ("iban", "card") for k, _ in wrong)


def test_every_builtin_kind_with_canonical_values_and_spans():
    text = ("Write to Ann.Lee@Example.org, +44 20 7946 0958, 10.0.0.12, 2001:DB8:0:0::1 "
            "via https://bob:pw@host.example/x")
    assert kinds(text) == [("email", "ann.lee@example.org"), ("phone", "+442079460958"),
                           ("ipv4", "10.0.0.12"), ("ipv6", "2001:db8::1"), ("url_credentials", "https://bob:pw@host.example")]
    first = find_pii(text)[0]
    assert text[first.start:first.end] == "Ann.Lee@Example.org"
    assert kinds("on 2024-01-15 at 999.1.1.1 and 12:30") == []


def test_the_registry_is_extensible():
    import re

    try:
        register_pattern(PiiPattern("ticket", re.compile(r"\bTCK-\d{6}\b"), str.upper))
        assert kinds("see tck-123456") == [] and kinds("see TCK-123456") == [("ticket", "TCK-123456")]
    finally:
        del PATTERNS["ticket"]
