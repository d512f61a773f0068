#!/usr/bin/env bash
# Builds drdrill/postgres:15 without a registry: a Debian bookworm root filesystem with
# postgresql-15 and pgbackrest made by debootstrap, trimmed, and imported with `docker import`.
# Usage: rootfs.sh TAG [LABEL=VALUE ...]
#        rootfs.sh --mirror   (print the mirror it would use and exit; images.Ensure hashes it)
# The Debian mirror is read from this machine's apt configuration, never hard-coded.
set -euo pipefail
tag=${1:?usage: rootfs.sh TAG [LABEL=VALUE ...]}; shift
labels=("$@")

mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  # deb822: the first URIs line of a stanza whose Suites hold plain "bookworm"-style suites.
  m=$(awk '/^URIs:/{print $2; exit}' "$f")
  case "$m" in *security*) continue ;; esac
  [ -n "$m" ] && { mirror=$m; break; }
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { echo "rootfs.sh: no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2; exit 1; }
if [ "$tag" = "--mirror" ]; then echo "$mirror"; exit 0; fi
command -v debootstrap >/dev/null || { echo "rootfs.sh: debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }

root=$(mktemp -d /tmp/drdrill-pgroot.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "rootfs.sh: debootstrap bookworm + postgresql-15 + pgbackrest from $mirror (about a minute)" >&2
debootstrap --variant=minbase --include=postgresql-15,pgbackrest bookworm "$root" "$mirror" >"$root.log" 2>&1 \
  || { tail -20 "$root.log" >&2; rm -f "$root.log"; echo "rootfs.sh: debootstrap failed (log above)" >&2; exit 1; }
rm -f "$root.log"

# Trim what a database server never reads.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
       "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/locale/* \
       "$root"/usr/share/postgresql/15/man "$root"/var/log/*.log
find "$root"/usr/share/i18n/locales -type f ! -name 'C' ! -name 'POSIX' ! -name 'en_US' ! -name 'i18n*' ! -name 'iso14651_t1*' ! -name 'translit_*' -delete 2>/dev/null || true
# The cluster debootstrap's postinst created is not ours: the container runs initdb itself.
rm -rf "$root"/var/lib/postgresql/15 "$root"/etc/postgresql/15
# Mount points for the data, WAL archive and backup volumes, owned by postgres: Docker copies a
# mount point's owner into a new named volume, so the server can write there without root.
# pgBackRest's repository, spool, log and lock directories likewise (its configuration is written
# by the stack at start, into /etc/pgbackrest, which postgres owns for that).
mkdir -p "$root"/var/lib/postgresql/data "$root"/var/run/postgresql "$root"/archive "$root"/backups \
         "$root"/var/lib/pgbackrest "$root"/var/spool/pgbackrest "$root"/var/log/pgbackrest "$root"/etc/pgbackrest "$root"/tmp/pgbackrest
uid=$(awk -F: '$1=="postgres"{print $3}' "$root"/etc/passwd); gid=$(awk -F: '$1=="postgres"{print $4}' "$root"/etc/passwd)
chown -R "$uid:$gid" "$root"/var/lib/postgresql "$root"/var/run/postgresql "$root"/archive "$root"/backups \
         "$root"/var/lib/pgbackrest "$root"/var/spool/pgbackrest "$root"/var/log/pgbackrest "$root"/etc/pgbackrest "$root"/tmp/pgbackrest
chmod 750 "$root"/var/lib/pgbackrest
chmod 700 "$root"/var/lib/postgresql/data

changes=(-c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
         -c 'ENV LANG=C.UTF-8' -c 'USER postgres' -c 'WORKDIR /var/lib/postgresql')
for l in "${labels[@]}"; do changes+=(-c "LABEL $l"); done
tar -C "$root" -c . | docker import "${changes[@]}" - "$tag" >/dev/null
echo "rootfs.sh: imported $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))" >&2
