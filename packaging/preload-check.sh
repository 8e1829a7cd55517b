# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# The part the package scripts share (Debian postinst and postrm, the RPM's %post and
# %postun): packaging/Packaging.cmake pastes it into each of their templates, so that
# both packages look in the same places. Plain POSIX sh (dash runs Debian's maintainer
# scripts, bash RHEL's), with grep, rm and (where systemd runs) systemctl its only
# outside commands. In the RPM's copies every
# per-cent sign is doubled, or rpmbuild would take it for a macro.
#
# Where configuration can still load the library (libljmm_preload) or start the
# launcher (ljmm-run), on a line that is not a comment:
#   /etc/ld.so.preload, /etc/environment, systemd's DefaultEnvironment= in
#     /etc/systemd/{system,user}.conf and their .conf.d/*.conf;
#   systemd units and drop-ins, persistent and at run time: every file in
#     /etc/systemd/{system,user} and /run/systemd/{system,user,transient} (an
#     administrator's whole unit, `systemctl edit --full`, `systemd-run -E`) and in their
#     *.d/ directories (`systemctl edit [--runtime]` writes UNIT.d/override.conf);
#   the files services read with EnvironmentFile=: /etc/default/* (Debian) and
#     /etc/sysconfig/* (RHEL).
# The files are looked for under $LJMM_SCAN_ROOT (the tests point it at a fake tree),
# else $DPKG_ROOT (set by dpkg when it runs scripts outside a chroot), else /.

# ljmm_uses FILE: true when a line of FILE that is not a comment (# or ;) names the
# library or the launcher.
ljmm_uses() {
	[ -f "$1" ] && grep -qsE '^[[:space:]]*[^#;[:space:]].*(libljmm_preload|ljmm-run)' "$1"
}

# ljmm_users: the files that still use it, one a line.
ljmm_users() {
	ljmm_root=${LJMM_SCAN_ROOT:-${DPKG_ROOT:-}}
	for ljmm_f in "$ljmm_root"/etc/ld.so.preload "$ljmm_root"/etc/environment \
		"$ljmm_root"/etc/systemd/system.conf "$ljmm_root"/etc/systemd/system.conf.d/*.conf \
		"$ljmm_root"/etc/systemd/user.conf "$ljmm_root"/etc/systemd/user.conf.d/*.conf \
		"$ljmm_root"/etc/systemd/system/* "$ljmm_root"/etc/systemd/system/*.d/* \
		"$ljmm_root"/etc/systemd/user/* "$ljmm_root"/etc/systemd/user/*.d/* \
		"$ljmm_root"/run/systemd/system/* "$ljmm_root"/run/systemd/system/*.d/* \
		"$ljmm_root"/run/systemd/user/* "$ljmm_root"/run/systemd/user/*.d/* \
		"$ljmm_root"/run/systemd/transient/* "$ljmm_root"/run/systemd/transient/*.d/* \
		"$ljmm_root"/etc/default/* "$ljmm_root"/etc/sysconfig/*; do
		if ljmm_uses "$ljmm_f"; then
			printf '%s\n' "$ljmm_f"
		fi
	done
}

# After installation: a system-wide preload is loaded into every process, which the
# documentation advises against.
ljmm_warn_installed() {
	if ljmm_uses "${LJMM_SCAN_ROOT:-${DPKG_ROOT:-}}/etc/ld.so.preload"; then
		echo "ljmm: /etc/ld.so.preload names libljmm_preload.so: it is loaded into every process." >&2
		echo "ljmm: preload it for the services that need it instead (/usr/share/doc/ljmm/deploy.md)." >&2
	fi
}

# After removal: ld.so prints "cannot be preloaded ... ignored" in every process such
# configuration starts, and a unit that runs ljmm-run no longer starts at all.
ljmm_warn_removed() {
	ljmm_found=$(ljmm_users)
	if [ -n "$ljmm_found" ]; then
		echo "ljmm: removed, but these files still preload libljmm_preload.so or run ljmm-run:" >&2
		while IFS= read -r ljmm_f; do
			printf 'ljmm:   %s\n' "$ljmm_f" >&2
		done <<-EOF
			$ljmm_found
		EOF
		echo "ljmm: remove those lines, then 'systemctl daemon-reload' and restart the services." >&2
	fi
}

# The units the package installs, disabled, for node_exporter's textfile collector
# (tools/prometheus/). dpkg and rpm remove the unit files, but not what an administrator's
# `systemctl enable` made in /etc, nor the file the service wrote: before removal a
# running systemd stops them (debian/prerm with deb-systemd-invoke, rpm/preun with
# systemctl); on purge (the RPM's erase) the enablement links and ljmm.prom go, so that
# nothing is left behind. Plain rm: deb-systemd-helper only knows the links it
# made itself, and the package enables nothing.
ljmm_units="ljmm-textfile.timer ljmm-textfile.service"

# ljmm_systemd_running: systemd runs this system (what deb-systemd-invoke checks), and
# the scripts act on it (not on a DPKG_ROOT or a test's tree). (No redirection: a
# scratch root may have no /dev/null.)
ljmm_systemd_running() {
	[ -z "${LJMM_SCAN_ROOT:-${DPKG_ROOT:-}}" ] && [ -d /run/systemd/system ] && [ -n "$(command -v systemctl)" ]
}

ljmm_systemd_reload() {
	if ljmm_systemd_running; then
		systemctl --system daemon-reload >/dev/null 2>&1 || :
	fi
}

ljmm_units_purge() {
	ljmm_root=${LJMM_SCAN_ROOT:-${DPKG_ROOT:-}}
	for ljmm_u in $ljmm_units; do
		for ljmm_f in "$ljmm_root"/etc/systemd/system/*.wants/"$ljmm_u" "$ljmm_root"/etc/systemd/system/*.requires/"$ljmm_u" \
			"$ljmm_root"/etc/systemd/system/*.upholds/"$ljmm_u"; do
			if [ -L "$ljmm_f" ]; then
				rm -f "$ljmm_f"
				echo "ljmm: purge: removed $ljmm_f (systemctl disable $ljmm_u)"
			fi
		done
	done
	rm -f "$ljmm_root"/var/lib/prometheus/node-exporter/ljmm.prom "$ljmm_root"/var/lib/prometheus/node-exporter/ljmm.prom.tmp
	if [ -d "$ljmm_root"/etc/systemd/system/ljmm-textfile.service.d ]; then
		echo "ljmm: purge: your drop-ins for ljmm-textfile.service stay in /etc/systemd/system/ljmm-textfile.service.d" >&2
	fi
	ljmm_systemd_reload
}
