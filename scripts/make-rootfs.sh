#!/bin/sh
# Builds the default root filesystem into DEST: a static busybox with a full userland (scripts/build-busybox.sh, built
# from Debian's source package once, then cached), one /bin symlink per applet, /usr/bin/env, and an /etc with root,
# nobody, tty and nogroup (passwd, group, shadow) so adduser, addgroup, passwd and su work.
# Idempotent: DEST/etc/cloche-rootfs names the layout and the busybox it was built from; a DEST without it or with
# another (such as one from the days of Debian's busybox-static, which had no adduser) is rebuilt in DEST.tmp and
# renamed into place. BUSYBOX=/path/to/busybox uses that binary instead of building one.
set -eu
DEST=${1:?usage: make-rootfs.sh DEST}
BUSYBOX=${BUSYBOX:-$("$(dirname "$0")/build-busybox.sh")}
LAYOUT=2
STAMP="layout=$LAYOUT
busybox=$(sha256sum "$BUSYBOX" | cut -d' ' -f1)"
current() { [ -x "$DEST/bin/busybox" ] && [ "$(cat "$DEST/etc/cloche-rootfs" 2>/dev/null)" = "$STAMP" ]; }
current && exit 0
mkdir -p "$(dirname "$DEST")"
exec 9>"$DEST.lock"
flock 9
current && exit 0
TMP="$DEST.tmp"
rm -rf "$TMP"
mkdir -p "$TMP/bin" "$TMP/etc" "$TMP/root" "$TMP/tmp" "$TMP/dev" "$TMP/proc" "$TMP/sys" "$TMP/home" \
         "$TMP/usr/bin" "$TMP/usr/sbin" "$TMP/sbin" "$TMP/var"
cp "$BUSYBOX" "$TMP/bin/busybox"
chmod 0755 "$TMP/bin/busybox"
for applet in $("$TMP/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$TMP/bin/$applet"
done
for applet in sh true adduser addgroup deluser passwd su id whoami ps hostname nc ping stty kill tar; do
  [ -L "$TMP/bin/$applet" ] || { echo "$BUSYBOX lacks $applet" >&2; exit 1; }
done
ln -s ../../bin/env "$TMP/usr/bin/env"  # for #!/usr/bin/env scripts
cat > "$TMP/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$TMP/etc/group" <<'G'
root:x:0:
tty:x:5:
nogroup:x:65534:
G
# no password for anyone ('*' locks it; root's own su, adduser and passwd need none); adduser adds its users here
cat > "$TMP/etc/shadow" <<'S'
root:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
S
chmod 0640 "$TMP/etc/shadow"
printf '/bin/sh\n/bin/ash\n' > "$TMP/etc/shells"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$TMP/etc/hosts"
: > "$TMP/etc/resolv.conf"  # containers have loopback only until networking lands
printf '%s\n' "$STAMP" > "$TMP/etc/cloche-rootfs"
chmod 1777 "$TMP/tmp"
chmod 0700 "$TMP/root"
# The old tree is renamed away before the new one takes its place, and deleted only when no overlay still has it as
# its lower layer: privileged containers use DEST itself, and deleting files under a live overlay breaks them.
OLD="$DEST.old.$$"
[ ! -e "$DEST" ] || mv "$DEST" "$OLD"
mv "$TMP" "$DEST"
if [ -e "$OLD" ]; then
  if grep -qF -e "lowerdir=$DEST," -e "lowerdir=$DEST:" /proc/self/mountinfo; then
    echo "kept the previous rootfs at $OLD: overlays still use it (delete it once they are gone)" >&2
  else
    rm -rf "$OLD"
  fi
fi
