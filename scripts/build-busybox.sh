#!/bin/sh
# Builds a static busybox with a full userland (adduser, addgroup, deluser, passwd, su, nc, ping, stty, ps, ...) from
# Debian's source package and prints the binary's path. Debian's busybox-static lacks the login and user applets, so
# the default rootfs cannot use it: Garden clients run `id -u alice || adduser -D alice` in every container.
#
# Source: Debian's busybox source package, at the version of the busybox-static package installed here (so a Debian
# security update is followed; BUSYBOX_VERSION overrides it), fetched with the ordinary apt client from the deb-src
# twins of the machine's own apt sources, through a private apt configuration: the system's sources are never edited.
# Debian's patches (debian/patches/series) are applied, then upstream's `make defconfig` with the overrides in SET.
# Nothing in defconfig had to be disabled to link statically against glibc. The linker's warnings that getaddrinfo,
# gethostbyname and getservbyname in static programs need glibc's shared NSS modules are the ones Debian's
# busybox-static has too; /etc/hosts and DNS lookups work without them (glibc has those two built in), only other
# NSS sources would not.
#
# Cached: the binary is kept in $BUSYBOX_CACHE/busybox-<version>/ (default /var/cache/cloche) with the settings it
# was built with; a later run with the same version and settings only prints its path.
# Measured on the 2-core dev VM: first build 2 min 6 s to 3 min (download 3 s, the rest compiling; 3 min with other
# builds running beside it, and 10 min under a load average of 14), cached run 0.02-0.1 s. make-rootfs.sh then
# takes 2 s to lay out a rootfs, and 0.1 s when the rootfs is current.
set -eu
CACHE_ROOT=${BUSYBOX_CACHE:-/var/cache/cloche}
VERSION=${BUSYBOX_VERSION:-$(dpkg-query -W -f='${source:Version}' busybox-static 2>/dev/null || true)}
VERSION=${VERSION:-1:1.35.0-4+deb12u1}
# Over upstream's defconfig: static; the applets Debian's busybox-static has beyond defconfig (ar, uncompress, nuke),
# so the new rootfs lacks nothing the old one had; applets preferred over PATH in sh, as in busybox-static; and
# passwords hashed with SHA-512 rather than DES.
SET='CONFIG_STATIC=y
CONFIG_AR=y
CONFIG_FEATURE_AR_LONG_FILENAMES=y
CONFIG_UNCOMPRESS=y
CONFIG_NUKE=y
CONFIG_FEATURE_PREFER_APPLETS=y
CONFIG_FEATURE_SH_STANDALONE=y
CONFIG_FEATURE_DEFAULT_PASSWD_ALGO="sha512"'
# Applets the rootfs promises; the build fails if one is missing.
NEED='sh adduser addgroup deluser delgroup passwd su chpasswd nc ping stty ps hostname id whoami kill tar'

OUT="$CACHE_ROOT/busybox-${VERSION#*:}"
SETTINGS="version=$VERSION
$SET"
cached() { [ -x "$OUT/busybox" ] && [ -f "$OUT/settings" ] && [ "$(cat "$OUT/settings")" = "$SETTINGS" ]; }
if cached; then
  echo "$OUT/busybox"
  exit 0
fi
mkdir -p "$CACHE_ROOT"
# one build at a time; a run that waited finds the other's result
exec 9>"$CACHE_ROOT/busybox.lock"
flock 9
if cached; then
  echo "$OUT/busybox"
  exit 0
fi
echo "building busybox $VERSION from Debian's source package into $OUT (2-3 minutes on 2 quiet cores, once)" >&2
WORK=$(mktemp -d "$CACHE_ROOT/busybox-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
chmod 0755 "$WORK"  # apt downloads as _apt
mkdir -p "$WORK/apt/parts" "$WORK/apt/lists/partial" "$WORK/src"

# deb-src twins of the system's sources: deb822 stanzas get Types: deb-src; one-line `deb` entries become `deb-src`
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  awk '/^Types:/ { if ($0 ~ /[ \t]deb([ \t]|$)/) $0 = "Types: deb-src" } { print }' \
    /etc/apt/sources.list.d/debian.sources > "$WORK/apt/parts/debian.sources"
fi
if [ -f /etc/apt/sources.list ]; then
  sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' /etc/apt/sources.list > "$WORK/apt/parts/sources.list"
fi
grep -qs -e '^Types: deb-src' -e '^deb-src' "$WORK"/apt/parts/* || {
  echo "no Debian apt source found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2; exit 1; }
apt_private() {
  apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$WORK/apt/parts" \
    -o Dir::State::Lists="$WORK/apt/lists" -o Dir::Cache="$WORK/apt/cache" "$@"
}
apt_private update > "$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; exit 1; }
id _apt >/dev/null 2>&1 && chown _apt "$WORK/src"
(cd "$WORK/src" && apt_private source --download-only "busybox=$VERSION") > "$WORK/apt.log" 2>&1 || {
  cat "$WORK/apt.log" >&2
  echo "cannot fetch Debian's busybox source $VERSION (set BUSYBOX_VERSION to one the apt sources have)" >&2
  exit 1
}

cd "$WORK/src"
tar -xf busybox_*.orig.tar.*
cd busybox-*/
tar -xf ../busybox_*.debian.tar.*
# quilt's series: one patch a line, optionally with -pN; # starts a comment
sed -e 's/#.*//' debian/patches/series | while read -r patch opt; do
  [ -n "$patch" ] || continue
  patch -s -N ${opt:--p1} --no-backup-if-mismatch -i "debian/patches/$patch"
done

make -s defconfig >/dev/null
printf '%s\n' "$SET" | while IFS= read -r setting; do
  name=${setting%%=*}
  sed -i -e "/^$name=/d" -e "/^# $name is not set\$/d" .config
  printf '%s\n' "$setting" >> .config
done
yes '' | make -s oldconfig >/dev/null
printf '%s\n' "$SET" | while IFS= read -r setting; do
  grep -qxF "$setting" .config || { echo "busybox config did not keep $setting" >&2; exit 1; }
done
make -s -j"$(nproc)" busybox BB_EXTRA_VERSION="Debian $VERSION, Cloche build" > "$WORK/build.log" 2>&1 || {
  tail -50 "$WORK/build.log" >&2; exit 1; }
for applet in $NEED; do
  ./busybox --list | grep -qxF "$applet" || { echo "the busybox build lacks $applet" >&2; exit 1; }
done

mkdir -p "$WORK/out"
cp busybox "$WORK/out/busybox"
cp .config "$WORK/out/busybox.config"
printf '%s\n' "$SETTINGS" > "$WORK/out/settings"
rm -rf "$OUT"
mv "$WORK/out" "$OUT"
echo "$OUT/busybox"
