#!/bin/sh
# Builds a minimal busybox root filesystem into DEST (idempotent: built in DEST.tmp, then renamed into place).
set -eu
DEST=${1:?usage: make-rootfs.sh DEST}
BUSYBOX=${BUSYBOX:-/usr/bin/busybox}
if [ -x "$DEST/bin/busybox" ] && [ -e "$DEST/bin/true" ] && [ -f "$DEST/etc/passwd" ]; then
  exit 0
fi
TMP="$DEST.tmp"
rm -rf "$TMP"
mkdir -p "$TMP/bin" "$TMP/etc" "$TMP/root" "$TMP/tmp" "$TMP/dev" "$TMP/proc" "$TMP/sys" "$TMP/home" \
         "$TMP/usr/bin" "$TMP/usr/sbin" "$TMP/sbin" "$TMP/var"
cp "$BUSYBOX" "$TMP/bin/busybox"
chmod 0755 "$TMP/bin/busybox"
for applet in $("$BUSYBOX" --list) sh adduser id whoami ps hostname dd seq stty nc ping kill sleep tar cat echo true; do
  [ "$applet" = busybox ] && continue
  [ -e "$TMP/bin/$applet" ] || [ -L "$TMP/bin/$applet" ] || ln -s busybox "$TMP/bin/$applet"
done
[ -e "$TMP/bin/true" ] || { echo "busybox lacks true" >&2; exit 1; }
cat > "$TMP/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$TMP/etc/group" <<'G'
root:x:0:
tty:x:5:
nogroup:x:65534:
G
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$TMP/etc/hosts"
: > "$TMP/etc/resolv.conf"  # containers have loopback only until networking lands
chmod 1777 "$TMP/tmp"
chmod 0700 "$TMP/root"
rm -rf "$DEST"
mv "$TMP" "$DEST"
