#!/usr/bin/env bash
# Install the Debian/Ubuntu packages InfraMind needs, only those missing. As root on Debian/Ubuntu it
# installs them; otherwise it says exactly what to install and fails if something is missing.
# Usage: scripts/system-deps.sh run|test
set -euo pipefail
role=${1:-run}

# binary -> Debian package
declare -A need=(
  [victoria-metrics]=victoria-metrics
  [vmalert]=victoria-metrics
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [smartctl]=smartmontools
  [ipmi-sensors]=freeipmi-tools
)
if [ "$role" = test ]; then
  need[promtool]=prometheus
  need[prometheus-node-exporter]=prometheus-node-exporter
  need[openssl]=openssl
  need[snmpd]=snmpd
  need[snmptrap]=snmp
  need[snmpsimd]=snmpsim
  need[prometheus-snmp-exporter]=prometheus-snmp-exporter
  need[ipmi_sim]=openipmi
  need[ipmitool]=ipmitool
  need[prometheus-ipmi-exporter]=prometheus-ipmi-exporter
  need[sshd]=openssh-server
  need[sudo]=sudo
  need[rsyslogd]=rsyslog
  need[journalctl]=systemd
  need[logger]=bsdutils
  need[docker-compose]=docker-compose
  need[systemd-analyze]=systemd
  need[vmagent]=victoria-metrics
  need[vmauth]=victoria-metrics
fi

missing=()
for bin in "${!need[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("${need[$bin]}")
done
if [ "$role" = test ] && [ ! -x /lib/systemd/systemd-journal-remote ]; then
  missing+=("systemd-journal-remote")
fi
# PostgreSQL's server binaries live outside PATH (/usr/lib/postgresql/VERSION/bin); the state-store tests need them.
if [ "$role" = test ] && ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  missing+=("postgresql")
fi
# python3 -m venv needs the ensurepip module, which Debian ships separately.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=("python3-venv")
mapfile -t missing < <(printf '%s\n' "${missing[@]:-}" | sed '/^$/d' | sort -u)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing system packages: ${missing[*]}" >&2
echo "install them with: sudo apt-get install -y ${missing[*]}   (or run this target as root)" >&2
exit 1
