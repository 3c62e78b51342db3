# Sourced by postgres.sh (the test cluster) and production.sh (the production shape's cluster): what both need to
# run a PostgreSQL cluster of their own from Debian's packages.

pg_bin_dir() {  # the newest installed major version's programs; empty when PostgreSQL is not installed
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# initdb and postgres refuse to run as root: as root, they run as the postgres OS user.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# As root a cluster runs as the postgres user, who must be able to reach its data directory. A checkout inside a
# private directory (mktemp -d, a home directory) is out of its reach: the cluster then lives under /var/tmp.

reachable_by_others() {
  local dir="$1"
  while [ "$dir" != "/" ]; do
    [ -n "$(find "$dir" -maxdepth 0 -perm -o=x)" ] || return 1
    dir="$(dirname "$dir")"
  done
}

pg_data_dir() {  # pg_data_dir ROOT NAME: .run/NAME inside the checkout at ROOT, or its /var/tmp stand-in
  local root="$1" name="$2"
  if [ "$(id -u)" -eq 0 ] && ! reachable_by_others "$root"; then
    echo "/var/tmp/neurotriage-$name-$(printf '%s' "$root" | sha256sum | cut -c1-12)"
  else
    echo "$root/.run/$name"
  fi
}
