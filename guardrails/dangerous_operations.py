"""Operations no remediation proposal may describe, found in free text (a proposal's reason, a
report's command) however it is spelled: the text is folded first (`fold_command`: NFKC,
invisible characters, look-alikes, `r''m`, `DROP/**/DATABASE`, `${IFS}`)."""

from __future__ import annotations

import re

from .text_folding import fold_command

_OPERATIONS: tuple[tuple[str, str], ...] = (
    (r"\brm (?:-\S+ )*(?:-[a-z]*[rf]|--recursive|--force|--no-preserve-root)\b", "deleting files"),
    (r"\bfind\b.* (?:-delete|-exec rm)\b", "deleting files"),
    (r"\b(?:shred|wipefs|mkfs(?:\.\w+)?|fdisk|parted|sgdisk)\b|\bdd (?:\S+ )*(?:if|of)=", "overwriting disks"),
    (r">\s*/dev/(?:sd|nvme|xvd|vd|hd)", "overwriting disks"),
    (r"\baws s3 (?:rm|rb)\b|\bgsutil (?:-m )?(?:rm|rb)\b|\bgcloud storage rm\b|\baz storage \w+ delete",
     "deleting storage"),
    (r"\baws \S+ (?:delete|terminate|remove|deregister|purge)-\S+", "deleting cloud resources"),
    (r"\b(?:gcloud|az|doctl|eksctl|oc) (?:\S+ ){0,4}(?:delete|destroy|purge)\b", "deleting cloud resources"),
    (r"\bdrop (?:database|table|schema|keyspace|index|user|role|collection|view)\b|\bdropdb\b|\.drop(?:database)?\(",
     "dropping data"),
    (r"\btruncate (?:table )?\w", "truncating data"),
    (r"\bdelete from\b|\balter table \S+ drop\b", "deleting rows"),
    (r"\bflush(?:all|db)\b|\bdel (?:\S+ )*\*|\bpurge (?:the )?(?:queue|topic|cache|bucket|data)", "wiping data"),
    (r"\bkubectl (?:\S+ )*(?:delete|drain|cordon|replace --force|exec)\b", "deleting or evicting cluster resources"),
    (r"--replicas[= ]0(?![\d.])|\breplicas: ?0(?![\d.])|\bscale (?:\S+ ){0,4}to (?:zero|0(?![\d.]))",
     "scaling to zero"),
    (r"\bhelm (?:uninstall|delete|del)\b", "uninstalling releases"),
    (r"\b(?:terraform|tofu|pulumi|cdk) (?:destroy|apply -destroy)\b|\bterraform apply (?:\S+ )*-auto-approve\b",
     "destroying infrastructure"),
    (r"\bdocker (?:system|image|volume|container|network|builder) prune\b|\bdocker (?:rm|rmi) -f\b",
     "deleting containers and volumes"),
    (r"\bkill (?:-s )?(?:-?9|-?kill|-?sigkill) (?:-)?1\b|\bkill -(?:9|kill|sigkill)\b|\bkillall\b|"
     r"\bpkill -(?:9|kill)\b",
     "killing processes"),
    (r"\b(?:shutdown|reboot|halt|poweroff) (?:-\w|now|\+\d)|\binit [06]\b|\bsystemctl (?:stop|disable|mask|"
     r"poweroff|reboot|halt)\b|^(?:sudo )?(?:reboot|halt|poweroff)\b", "stopping machines"),
    (r"--force\b|--grace-period[= ]0\b|--no-verify\b|--cascade[= ]orphan", "forcing past safety checks"),
    (r"\bchmod (?:-r )?(?:0?777|a\+rwx|o\+w)|\bchown -r\b", "opening permissions"),
    (r"\biptables (?:-f|--flush)\b|\bufw disable\b|\bsetenforce 0\b", "disabling firewalls"),
    (r"\b(?:curl|wget)\b.*\|\s*(?:sudo )?(?:ba|z|da)?sh\b|\b(?:ba|z)?sh -c\b|\beval[ (]*[$\"'`(]|\bbase64 -d\b.*\|",
     "running fetched or encoded code"),
    (r"/dev/tcp/|\bnc (?:\S+ )*-e\b|\bpython3? -c\b|\bperl -e\b", "opening a shell"),
    (r"\bgit (?:push (?:\S+ )*(?:-f|--force)|reset --hard|clean -\w*f)", "rewriting history"),
    (r":\(\)\s*\{", "fork bomb"),
    (r"\bdelete (?:the |all |every )?(?:namespace|pvcs?|pvs?|volumes?|buckets?|clusters?|databases?|deployments?|"
     r"pods?|nodes?|statefulsets?|tables?|topics?|queues?|backups?|snapshots?|data|records|logs)\b",
     "deleting resources"),
)
_COMPILED = tuple((re.compile(pattern), why) for pattern, why in _OPERATIONS)


def dangerous_operations(text: str) -> list[str]:
    """What dangerous operations the text describes, e.g. ["deleting files"] (empty if none)."""
    folded = fold_command(text)
    return list(dict.fromkeys(why for pattern, why in _COMPILED if pattern.search(folded)))
