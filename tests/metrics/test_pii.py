import pytest

from synae.metrics.pii import (
    DISPLAY_PATTERNS,
    PATTERNS,
    PiiPattern,
    find_display_pii,
    find_pii,
    iban_valid,
    luhn_valid,
    register_display_pattern,
    register_pattern,
)


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


def shown(text):
    return [(m.kind, text[m.start:m.end]) for m in find_display_pii(text)]


def test_display_kinds_find_ssns_api_keys_and_url_secrets():
    text = ("SSN 123-45-6789, key sk-live-4f9aZ81kQw2LmN7pX3rT6yV0, "
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789, AKIAIOSFODNN7EXAMPLE, sk_test_51Hxyzabcdef12, "
            "Authorization: Bearer abcdefghij0123456789klmn, "
            "https://api.example.com/v1?q=paris&token=Zx81kQw2LmN7pX3r#top")
    assert shown(text) == [("ssn", "123-45-6789"), ("api_key", "sk-live-4f9aZ81kQw2LmN7pX3rT6yV0"),
                           ("api_key", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
                           ("api_key", "AKIAIOSFODNN7EXAMPLE"), ("api_key", "sk_test_51Hxyzabcdef12"),
                           ("api_key", "Bearer abcdefghij0123456789klmn"),
                           ("url_secret", "token=Zx81kQw2LmN7pX3r")]
    assert find_display_pii("SSN 123-45-6789")[0].value == "123456789"
    # conservative: invalid SSN parts, dates, words after sk-, ordinary URL parameters
    assert shown("000-12-3456, 666-12-3456, 923-45-6789, 123-00-6789 on 2024-01-15, sklearn "
                 "sk-learn-compatible-estimators-v2, Bearer of bad news, "
                 "https://x.example/?q=paris&page=2") == []


def test_display_only_kinds_leave_the_privacy_metrics_unchanged():
    text = "SSN 123-45-6789 key sk-live-4f9aZ81kQw2LmN7pX3rT6yV0 https://x.example/?token=abc a@b.org"
    assert kinds(text) == [("email", "a@b.org")]  # what the privacy metrics count
    assert [k for k, _ in shown(text)] == ["ssn", "api_key", "url_secret", "email"]
    assert not set(DISPLAY_PATTERNS) & set(PATTERNS)
    with pytest.raises(ValueError, match="already registered"):
        register_display_pattern(PiiPattern("email", PATTERNS["email"].regex, str))


def test_display_matches_that_overlap_are_merged_so_no_part_is_left():
    # the URL parameter ends at the space, the phone number runs on: one span covers both
    text = "see https://x.example/?token=555 0134 555 now"
    assert kinds(text) == [("phone", "5550134555")]
    assert shown(text) == [("url_secret", "token=555 0134 555")]
    # every metric kind is masked too, with the same spans as the metric finds
    both = "Write to Ann.Lee@Example.org, +44 20 7946 0958, 10.0.0.12"
    assert [(m.kind, m.start, m.end) for m in find_display_pii(both)] == \
        [(m.kind, m.start, m.end) for m in find_pii(both)]
