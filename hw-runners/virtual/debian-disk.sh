#!/bin/sh
# Make a debootstrapped Debian root into a lab server's installed OS, then an ext4 disk image of it:
# what a 1288 boots from its disk before dpu-ci deploys the kernel under test over ssh + kexec.
#   debian-disk.sh ROOT AUTHORIZED_KEY IMAGE SIZE
# No password anywhere: root logs in with the lab's key only (sshd's default prohibit-password).
set -eu
root=$1 key=$2 img=$3 size=$4
echo dpu-lab-server > "$root/etc/hostname"
printf '/dev/vda / ext4 rw,relatime 0 1\n' > "$root/etc/fstab"
# eth0 (net.ifnames=0 on the command line) by DHCP through systemd-networkd: faster than ifupdown.
mkdir -p "$root/etc/systemd/network"
printf '[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n' > "$root/etc/systemd/network/10-eth0.network"
chroot "$root" systemctl enable systemd-networkd >/dev/null 2>&1
mkdir -p "$root/root/.ssh"
chmod 700 "$root/root/.ssh"
cp "$key" "$root/root/.ssh/authorized_keys"
chmod 600 "$root/root/.ssh/authorized_keys"
# Host keys of this image, not of the bootstrap that made it.
rm -f "$root"/etc/ssh/ssh_host_*
chroot "$root" ssh-keygen -A >/dev/null
# Nothing periodic in a test server; no kernel loaded for kexec at boot (dpu-ci loads its own).
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer systemd-tmpfiles-clean.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done
[ -f "$root/etc/default/kexec" ] && sed -i 's/^LOAD_KEXEC=.*/LOAD_KEXEC=false/' "$root/etc/default/kexec"
rm -f "$img"
mkfs.ext4 -q -F -L dpuroot -d "$root" "$img" "$size"
