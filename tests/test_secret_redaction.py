"""Secret redaction, one case per format: the secret goes, what surrounds it stays. Samples are
assembled from pieces so that no file of this repository holds a token-shaped string."""

import pytest

from guardrails.secrets import FORMATS, MASK, is_secret_name, is_secret_reference, redact

A36 = "a1B2c3D4e5" * 3 + "f6G7h8"  # 36 letters and digits
HEX32 = "0123456789abcdef" * 2

# (format, text, the secret, what must stay)
CASES = [
    ("private-key-block",
     "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow" + "IBAAK" * 8 + "\n-----END RSA PRIVATE KEY----- ok",
     "MIIEowIBAAK", "ok"),
    ("private-key-block", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA (cut off", "b3BlbnNzaC1r", ""),
    ("url-credentials", "connect postgres://app:Pa55w0rd!@db.internal:5432/orders", "Pa55w0rd", "db.internal:5432"),
    ("url-credentials", "cache redis://:s3cr3tpw@redis.internal:6379/0", "s3cr3tpw", "redis.internal"),
    ("url-credentials", "fetch https://deploy:tok" + "en99xyz@git.example.com/repo.git", "en99xyz", "git.example.com"),
    ("slack-webhook", "notify https://hooks.slack.com/services/T0ABC/B0DEF/" + "XyZ" * 8, "XyZXyZ", "hooks.slack.com"),
    ("discord-webhook", "post https://discord.com/api/webhooks/123456789/" + "AbC_" * 10, "AbC_AbC_", "discord.com"),
    ("authorization-header", "Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl", "Authorization"),
    ("authorization-header", "headers={'authorization': 'Basic dXNlcjpwYXNzd29yZA=='}", "dXNlcjpw", "authorization"),
    ("authorization-header", "Proxy-Authorization: Digest username=x", "username=x", "Proxy-Authorization"),
    ("cookie-header", "Cookie: session=8f9a7b; csrftoken=77ab", "8f9a7b", "Cookie:"),
    ("cookie-header", "Set-Cookie: sid=9c8b7a6d; HttpOnly", "9c8b7a6d", "Set-Cookie:"),
    ("api-key-header", "X-Api-Key: 4f6a9c0e1b2d", "4f6a9c0e1b2d", "X-Api-Key"),
    ("api-key-header", "x-amz-security-token: FwoGZXIvYXdzEJr", "FwoGZXIvYXdzEJr", "x-amz-security-token"),
    ("bearer-token", "retrying with bearer 9f8e7d6c5b4a3f2e", "9f8e7d6c5b4a3f2e", "retrying with"),
    ("secret-pair", "env DB_PASSWORD=hunter2 loaded", "hunter2", "DB_PASSWORD"),
    ("secret-pair", "oauth client_secret=Zx81-qq_991 rejected", "Zx81-qq_991", "client_secret"),
    ("secret-pair", 'body {"password": "correct horse battery"}', "correct horse", '"password"'),
    ("secret-pair", 'cfg {"apiKey":"k-123-456", "region": "eu"}', "k-123-456", '"region": "eu"'),
    ("secret-pair", "yaml: aws_secret_access_key: wJalrXUtnFEMI/K7MDENG", "wJalrXUtnFEMI", "aws_secret_access_key"),
    ("secret-pair", "login user=bob passwd='p w d'", "p w d", "user=bob"),
    ("secret-pair", "GET /cb?code=1&access_token=ya1.b2&state=x", "ya1.b2", "state=x"),
    ("secret-pair", "Server=db;User Id=sa;Password=Str0ng!;", "Str0ng!", "User Id=sa"),
    ("secret-pair", "AccountName=store1;AccountKey=bXlrZXk9PQ==;EndpointSuffix=core", "bXlrZXk9PQ",
     "AccountName=store1"),
    ("azure-sas-signature", "blob https://a.blob.core.windows.net/c?sv=2022&sig=AbCd%2Bef%3D", "AbCd%2Bef", "sv=2022"),
    ("jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl seen", "c2lnbmF0dXJl", "seen"),
    ("aws-access-key", "using AKIA" + "IOSFODNN7EXAMPLE" + " for s3", "IOSFODNN7EXAMPLE", "for s3"),
    ("github-token", "clone with ghp_" + A36, A36, "clone with"),
    ("github-fine-grained-token", "github_pat_" + "11ABCDEFG0" + "x" * 72, "x" * 72, ""),
    ("gitlab-token", "glpat-" + "Ab3_" * 5 + " used", "Ab3_Ab3_", "used"),
    ("slack-token", "bot xoxb-" + "1234567890-" + "AbCdEf" * 4, "AbCdEfAbCdEf", "bot"),
    ("google-api-key", "maps AIza" + "SyA" + "b" * 32, "b" * 32, "maps"),
    ("google-oauth-token", "gcp ya29." + "a0AfH6SM" * 4, "a0AfH6SMa0AfH6SM", "gcp"),
    ("google-oauth-token", "client GOCSPX-" + "q" * 28, "q" * 28, "client"),
    ("azure-client-secret", "aad secret abc8Q~" + "Zz9_" * 8 + "yy ok", "Zz9_Zz9_", "ok"),
    ("stripe-key", "charge with sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc", "charge"),
    ("stripe-key", "webhook whsec_" + "k" * 32, "k" * 32, "webhook"),
    ("openai-style-key", "llm sk-proj-" + "Q" * 40, "Q" * 40, "llm"),
    ("openai-style-key", "claude sk-ant-api03-" + "r" * 40, "r" * 40, "claude"),
    ("huggingface-token", "hub hf_" + "h" * 34, "h" * 34, "hub"),
    ("npm-token", "registry npm_" + A36, A36, "registry"),
    ("pypi-token", "upload pypi-AgEIcHlwaS5vcmc" + "p" * 40, "p" * 40, "upload"),
    ("sendgrid-key", "mail SG." + "s" * 22 + "." + "t" * 43, "t" * 43, "mail"),
    ("twilio-key", "sms SK" + HEX32, HEX32, "sms"),
    ("mailgun-key", "mg key-" + HEX32, HEX32, "mg"),
    ("shopify-token", "shop shpat_" + HEX32, HEX32, "shop"),
    ("digitalocean-token", "do dop_v1_" + HEX32 * 2, HEX32 * 2, "do"),
    ("vault-token", "vault hvs." + "v" * 30, "v" * 30, "vault"),
    ("new-relic-key", "nr NRAK-" + "N" * 27, "N" * 27, "nr"),
    ("telegram-bot-token", "bot 123456789:AA" + "t" * 33, "t" * 33, "bot"),
    ("age-secret-key", "age AGE-SECRET-KEY-1" + "Q" * 58, "Q" * 58, "age"),
    ("atlassian-token", "jira ATATT3" + "x" * 40, "x" * 40, "jira"),
    ("linear-key", "linear lin_api_" + "l" * 40, "l" * 40, "linear"),
]


@pytest.mark.parametrize(("fmt", "text", "secret", "kept"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_format_is_redacted_and_its_context_kept(fmt, text, secret, kept):
    out = redact(text)
    assert secret not in out, out
    assert kept in out and ("REDACTED" in out)


def test_every_format_has_a_case_and_there_are_at_least_thirty():
    covered = {c[0] for c in CASES}
    assert covered == {f.name for f in FORMATS}
    assert len(FORMATS) >= 30


BENIGN = [
    "author=r.nakamura deployed v4.13.0", "Connection refused: payment-service:8080", "cache_key=user:42 miss",
    "GET https://api.internal/v1/orders?page=2 200", "password authentication failed for user \"app\"",
    "token cache refreshed (120 entries)", "2026-11-26T12:00:00Z p99=350ms pool=40/40", "skipping key rotation",
    "user-service", "SERVICE_TOKEN is not set",
]


@pytest.mark.parametrize("text", BENIGN)
def test_ordinary_lines_are_left_alone(text):
    assert redact(text) == text


def test_secret_names():
    for name in ("DB_PASSWORD", "client_secret", "apiKey", "aws_secret_access_key", "X-Auth-Token", "passwd",
                 "privateKey", "basic_auth", "SESSION_COOKIE"):
        assert is_secret_name(name) and not is_secret_reference(name), name
    for name in ("author", "AUTHOR", "cache_key", "DB_POOL_MAX_SIZE", "passthrough_mode", "keyspace", "monkey",
                 "AUTH_ENABLED", "CREDENTIALS_SECRET_VERSION", "db_password_ref"):
        assert not is_secret_name(name), name
    assert is_secret_reference("CREDENTIALS_SECRET_VERSION") and is_secret_reference("db_password_ref")
    assert redact("CREDENTIALS_SECRET_VERSION=v7") == "CREDENTIALS_SECRET_VERSION=v7"


def test_redaction_is_idempotent_and_masks_once():
    once = redact("DB_PASSWORD=hunter2 Authorization: Bearer abcdefghij")
    assert redact(once) == once and once.count(MASK) == 2
