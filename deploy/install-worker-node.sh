#!/usr/bin/env bash
# Installs (or removes) the singularity-compatible runtime on a worker node.
#
#   deploy/install-worker-node.sh install [--setuid] [BUILD_DIR]
#                                                        install from BUILD_DIR (default: build it now with
#                                                        `dotnet publish Runtime -f net9.0 -c Release -r linux-x64`);
#                                                        --setuid also installs the setuid starter (below)
#   deploy/install-worker-node.sh uninstall [--purge]   remove it (--purge also removes the config file)
#
# What goes where (DESTDIR, if set, is prefixed to every path, for packaging and tests):
#   /usr/libexec/cvmfs-images/singularity   the NativeAOT front end          root:root 0755
#   /usr/libexec/cvmfs-images/starter       the C starter                    root:root 0755
#   /usr/libexec/cvmfs-images/starter-suid  with --setuid only: the setuid build of the same code, for nodes without
#                                           unprivileged user namespaces     root:root 4755
#                                           (and `allow setuid = yes` is written into singularity.conf)
#   /usr/libexec/cvmfs-images/nvliblist.conf  NVIDIA libraries for --nv      root:root 0644
#   /etc/cvmfs-images/singularity.conf      the site config (compiled-in path; root:root 0644, kept if present)
#   /etc/cvmfs-images/nvliblist.conf       the --nv list the site may edit  (kept if present)
#   $BINDIR/singularity (default /usr/local/bin) a symlink to the front end
#   /etc/apparmor.d/cvmfs-images-starter    the starter's AppArmor profile (deploy/apparmor.d/; see APPARMOR)
# The runtime refuses a config or starter that group or others can write, so everything is installed root-owned.
# Without --setuid no setuid file is installed, and one a previous --setuid install left is removed.
# An existing $BINDIR/singularity that is not this runtime's symlink (a real Singularity/Apptainer) is left alone
# unless FORCE=1.
#
# APPARMOR=auto (default) installs and loads the AppArmor profile only where AppArmor is active and the kernel has
# kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10 and later, where unprivileged user namespaces need a
# profile); APPARMOR=yes installs it anyway (e.g. staging a package for Ubuntu with DESTDIR), APPARMOR=no never.
# It is loaded (apparmor_parser -r) only on the live system (no DESTDIR) with AppArmor active; uninstall unloads and
# removes it.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

destdir=${DESTDIR:-}
libexec=$destdir/usr/libexec/cvmfs-images
etc=$destdir/etc/cvmfs-images
bindir=$destdir${BINDIR:-/usr/local/bin}

apparmor_source=deploy/apparmor.d/cvmfs-images-starter
apparmor_profile=$destdir/etc/apparmor.d/cvmfs-images-starter
apparmor_sysctl=/proc/sys/kernel/apparmor_restrict_unprivileged_userns

die() { echo "install-worker-node: $*" >&2; exit 1; }

apparmor_active() { [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || true)" = Y ]; }

# Whether to install the profile (APPARMOR is checked before anything is written).
apparmor_wanted() {
  case "${APPARMOR:-auto}" in
    yes) return 0 ;;
    no) return 1 ;;
    auto) apparmor_active && [ -e "$apparmor_sysctl" ] ;;
    *) die "APPARMOR must be auto, yes or no, not '${APPARMOR}'" ;;
  esac
}

# Whether the profile is (to be) loaded into the running kernel: the live system only, never a DESTDIR stage.
apparmor_live() { [ -z "$destdir" ] && apparmor_active && command -v apparmor_parser >/dev/null; }

need_root() {
  # Without DESTDIR the files must end up root-owned: only root can do that.
  if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (or set DESTDIR to stage the files)"; fi
}

# Set `allow setuid = yes` in the config $1 (replacing the key's line, or appending it), keeping owner and mode.
enable_setuid_in_config() {
  local conf=$1 edited
  edited=$(mktemp)
  awk 'BEGIN { done = 0 }
       /^[ \t]*allow[ \t]+setuid[ \t]*=/ { if (!done) print "allow setuid = yes"; done = 1; next }
       { print }
       END { if (!done) print "allow setuid = yes" }' "$conf" >"$edited"
  cat "$edited" >"$conf"
  rm -f "$edited"
}

install_runtime() {
  local setuid=0
  if [ "${1:-}" = "--setuid" ]; then setuid=1; shift; fi
  local from=${1:-}
  need_root
  if [ -z "$from" ]; then
    command -v dotnet >/dev/null || die "dotnet not found: give a BUILD_DIR made by 'dotnet publish Runtime -f net9.0 -c Release -r linux-x64 -o DIR'"
    from=$(mktemp -d)
    trap 'rm -rf "$from"' EXIT
    dotnet publish Runtime -f net9.0 -c Release -r linux-x64 -o "$from" -nologo -clp:NoSummary >&2
  fi
  local with_apparmor=0
  apparmor_wanted && with_apparmor=1
  [ -f "$apparmor_source" ] || die "$apparmor_source is missing (run the script from its checkout)"
  local files=(singularity starter singularity.conf nvliblist.conf)
  [ "$setuid" = 1 ] && files+=(starter-suid)
  for f in "${files[@]}"; do
    [ -f "$from/$f" ] || die "$from/$f is missing (expected the output of 'dotnet publish Runtime -f net9.0 -c Release -r linux-x64 -o DIR')"
  done
  local link=$bindir/singularity
  if [ -e "$link" ] || [ -L "$link" ]; then
    if [ "$(readlink "$link" 2>/dev/null || true)" != "/usr/libexec/cvmfs-images/singularity" ] && [ "${FORCE:-0}" != 1 ]; then
      die "$link exists and is not this runtime (set FORCE=1 to replace it)"
    fi
  fi

  local owner=()
  [ "$(id -u)" -eq 0 ] && owner=(-o root -g root)
  install -d -m 0755 "${owner[@]}" "$libexec" "$etc" "$bindir"
  # install(1) writes a new file and renames it: a running job keeps its old binary.
  install -m 0755 "${owner[@]}" "$from/singularity" "$libexec/singularity"
  install -m 0755 "${owner[@]}" "$from/starter" "$libexec/starter"
  install -m 0644 "${owner[@]}" "$from/nvliblist.conf" "$libexec/nvliblist.conf"
  if [ "$setuid" = 1 ]; then
    # Written under another name first and renamed, so that no half-written setuid file is ever in place.
    install -m 0755 "${owner[@]}" "$from/starter-suid" "$libexec/.starter-suid.new"
    chmod 4755 "$libexec/.starter-suid.new"
    mv -f "$libexec/.starter-suid.new" "$libexec/starter-suid"
  elif [ -e "$libexec/starter-suid" ]; then
    rm -f "$libexec/starter-suid"
    echo "install-worker-node: removed the setuid starter $libexec/starter-suid (install --setuid installs it)"
  fi
  for conf in singularity.conf nvliblist.conf; do
    if [ -e "$etc/$conf" ]; then
      install -m 0644 "${owner[@]}" "$from/$conf" "$etc/$conf.new"
      echo "install-worker-node: kept the existing $etc/$conf (the shipped one is $etc/$conf.new)"
    else
      install -m 0644 "${owner[@]}" "$from/$conf" "$etc/$conf"
    fi
  done
  if [ "$setuid" = 1 ]; then
    enable_setuid_in_config "$etc/singularity.conf"
    echo "install-worker-node: installed the setuid starter $libexec/starter-suid and set 'allow setuid = yes' in $etc/singularity.conf"
  fi
  if [ "$with_apparmor" = 1 ]; then
    install -d -m 0755 "${owner[@]}" "$(dirname "$apparmor_profile")"
    install -m 0644 "${owner[@]}" "$apparmor_source" "$apparmor_profile"
    if apparmor_live; then
      apparmor_parser -r "$apparmor_profile" || die "apparmor_parser could not load $apparmor_profile"
      echo "install-worker-node: loaded the AppArmor profile $apparmor_profile (unprivileged user namespaces for the starter)"
    else
      echo "install-worker-node: installed the AppArmor profile $apparmor_profile (not loaded: not the live system, or AppArmor inactive)"
    fi
  fi
  ln -sfn /usr/libexec/cvmfs-images/singularity "$link"
  echo "install-worker-node: installed $("$libexec/singularity" --version) as $link"
}

uninstall_runtime() {
  need_root
  local link=$bindir/singularity
  if [ -L "$link" ] && [ "$(readlink "$link")" = "/usr/libexec/cvmfs-images/singularity" ]; then
    rm -f "$link"
  fi
  if [ -e "$apparmor_profile" ]; then
    if apparmor_live && grep -q '^cvmfs-images-starter ' /sys/kernel/security/apparmor/profiles 2>/dev/null; then
      apparmor_parser -R "$apparmor_profile" || die "apparmor_parser could not unload $apparmor_profile"
    fi
    rm -f "$apparmor_profile"
    # A parser configured with write-cache (Ubuntu) keeps a compiled copy per feature set.
    [ -z "$destdir" ] && rm -f /var/cache/apparmor/*/cvmfs-images-starter
    echo "install-worker-node: removed the AppArmor profile $apparmor_profile"
  fi
  rm -f "$libexec/singularity" "$libexec/starter" "$libexec/starter-suid" "$libexec/nvliblist.conf"
  rmdir "$libexec" 2>/dev/null || true
  if [ "${1:-}" = "--purge" ]; then
    rm -f "$etc/singularity.conf" "$etc/singularity.conf.new" "$etc/nvliblist.conf" "$etc/nvliblist.conf.new"
    rmdir "$etc" 2>/dev/null || true
  else
    [ -e "$etc/singularity.conf" ] && echo "install-worker-node: kept $etc/singularity.conf (use --purge to remove it)"
  fi
  echo "install-worker-node: removed the runtime"
}

case "${1:-}" in
  install) shift; install_runtime "$@" ;;
  uninstall) shift; uninstall_runtime "$@" ;;
  *) echo "usage: $0 install [--setuid] [BUILD_DIR] | uninstall [--purge]" >&2; exit 2 ;;
esac
