/* SPDX-License-Identifier: MIT */
/* ljmm-maps: how processes use their low 2 GiB, the space MAP_32BIT memory lives in.
 *
 * Reads /proc/PID/maps (and, when readable, /proc/PID/comm, status and stat) and sorts
 * every byte below 2 GiB into one class: the kernel's MAP_32BIT window (anonymous, in
 * [1 GiB, 2 GiB)), the shim's region (anonymous, below 1 GiB), the brk heap, the shim's
 * guard page, file/program mappings, and free space. For one process it prints one row
 * of 64 characters per GiB (16 MiB a character) and the totals (--json: the totals as
 * JSON); for several (PIDs, --all NAME, --table) one row per process, as a table, a
 * JSON array or the Prometheus text format (--prometheus).
 *
 * Where the process may be read (ptrace access: its user without Yama restrictions, or
 * root), the shim's live counters are read too, without stopping it: the probe
 * (shim/probe.h) in the library's writable data is found through its ELF note and
 * /proc/PID/mem (tools/procmem.c: a few bounded reads per object, at most
 * LJMM_PROCMEM_CANDIDATES objects, none on a FUSE or network file system) and leads to
 * the ljmm_stats_t.
 *
 * Everything read is untrusted: a maps file (--maps-file reads any file) is checked
 * field by field and a malformed line is reported, never guessed at; a probe is only
 * believed when its layout, size and address are plausible; command names are
 * arbitrary bytes and are escaped for each output format. All files of one process are
 * opened through a descriptor of its /proc directory, and its start time is compared
 * before and after the reads, so a process that exits (or a PID that is reused) while
 * it is read is reported as gone, never as a picture cut short.
 *
 * This file is the arguments and main; the parts, by job, are maps_read.c (the maps
 * text), maps_proc.c (a live process's other files), maps_counters.c (the probe),
 * maps_classify.c, and maps_out_*.c (the outputs), sharing maps.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ljmm-maps [--json] PID\n"
		"       ljmm-maps [--json] --maps-file FILE\n"
		"       ljmm-maps [--table | --json | --prometheus] [PID...] [--all NAME]...\n"
		"Show the low 2 GiB of process PID (where MAP_32BIT memory lives) as a picture, one\n"
		"character per 16 MiB, with totals per class:\n"
		"  K kernel MAP_32BIT window (anonymous, [1 GiB, 2 GiB))   R shim region (anonymous, below 1 GiB)\n"
		"  H brk heap   G the shim's guard page after the heap (always shown)\n"
		"  F file/program and other mappings   . free\n"
		"A character shows the class holding most of its 16 MiB. The shim's live counters are\n"
		"read from the process where ptrace rules allow (root, or its user).\n"
		"With several PIDs, --all, --table or --prometheus: one row per process (pid, command,\n"
		"shim, MiB in the kernel window and the region, free MiB, largest hole, %% of the low\n"
		"2 GiB in use, and the counters region-served, failed, kernel-skipped).\n"
		"  --json            the totals (bytes) as one JSON object; with rows, a JSON array\n"
		"  --table           rows, also for a single PID\n"
		"  --prometheus      rows in the Prometheus text exposition format\n"
		"  --all NAME        every process whose command name (/proc/PID/comm) or argv[0]\n"
		"                    (before any \": \", after the last '/') is exactly NAME\n"
		"  --maps-file FILE  read a maps file instead of /proc/PID/maps (for tests; an empty\n"
		"                    brk heap, and so a guard at its start, is known only from /proc)\n"
		"Exit status: 0; 1 when a process named by PID does not exist, or its maps cannot be\n"
		"read or are malformed (with rows: a process that may not be read gets a row saying\n"
		"so), or the output cannot be written; 2 on a usage error.\n");
}

/* ---- main ---- */

enum out_form { OUT_PICTURE, OUT_TABLE, OUT_JSON_ROWS, OUT_PROMETHEUS };

/* A failed write of the output (a full disk, a closed pipe) is an error, exit 1. */
static int finish_output(int rc)
{
	if (fflush(stdout) || ferror(stdout))
		return ljmm_fail("cannot write the output: %s", strerror(errno ? errno : EIO));
	return rc;
}

static int run_rows(pids_t *pids, enum out_form form)
{
	static state_t s;
	row_t *rows = calloc(pids->n ? pids->n : 1, sizeof *rows);
	size_t i, nrows = 0;
	int rc = 0;
	if (!rows)
		return ljmm_fail("out of memory");
	s.dirfd = -1;
	for (i = 0; i < pids->n; i++) {
		enum rd r;
		ljmm_proc_free(&s);
		r = ljmm_proc_read(&s, pids->v[i]);
		if (r == RD_OK)
			ljmm_classify(&s);
		if (r == RD_OK || r == RD_DENIED)
			ljmm_classify_row(&rows[nrows++], &s);
		else if (r == RD_FAILED)
			rc = 1;
		else if (pids->named[i])
			/* --all finds processes that may be gone (or be kernel threads) by the
			 * time they are read: left out silently. A PID given is an error. */
			rc = r == RD_GONE ? ljmm_fail("no such process %ld", pids->v[i])
					  : ljmm_fail("process %ld has no user mappings (a kernel thread)", pids->v[i]);
	}
	ljmm_proc_free(&s);
	if (form == OUT_TABLE)
		ljmm_out_table(rows, nrows);
	else if (form == OUT_JSON_ROWS)
		ljmm_out_json_rows(rows, nrows);
	else
		ljmm_out_prometheus(rows, nrows);
	free(rows);
	return finish_output(rc);
}

static int run_picture(const char *file, long pid, bool json)
{
	static state_t s;
	int rc;
	s.dirfd = -1;
	if (file) {
		s.pid = -1;
		s.maps_path = file;
		s.vmsize_kb = s.vmrss_kb = -1;
		if ((rc = ljmm_read_maps_file(&s)))
			return rc;
	} else {
		switch (ljmm_proc_read(&s, pid)) {
		case RD_OK: break;
		case RD_GONE: return ljmm_fail("no such process %ld", pid);
		case RD_DENIED: return ljmm_fail("cannot open /proc/%ld/maps: %s", pid, strerror(s.maps_err));
		case RD_KTHREAD: return ljmm_fail("process %ld has no user mappings (a kernel thread)", pid);
		case RD_FAILED: return 1;
		}
	}
	ljmm_classify(&s);
	if (json)
		ljmm_out_json(&s);
	else if (ABI_IS_32(s.abi))
		ljmm_out_32bit(&s);
	else
		ljmm_out_picture(&s);
	ljmm_proc_free(&s);
	return finish_output(0);
}

int main(int argc, char **argv)
{
	static pids_t pids;
	const char *file = NULL, **names = calloc((size_t)argc, sizeof *names);
	size_t nnames = 0, npids = 0;
	bool json = false, table = false, prom = false, only_args = false;
	enum out_form form;
	int i, rc;
	if (!names)
		return ljmm_fail("out of memory");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		long pid;
		if (only_args || a[0] != '-' || !a[1]) {
			if (!ljmm_proc_parse_pid(a, &pid)) {
				fprintf(stderr, "ljmm-maps: not a process id: '%s'\n", a);
				return 2;
			}
			if (!ljmm_proc_pids_add(&pids, pid, true))
				return ljmm_fail("out of memory");
			npids++;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--table")) {
			table = true;
		} else if (!strcmp(a, "--prometheus")) {
			prom = true;
		} else if (!strcmp(a, "--maps-file") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(a, "--all") && i + 1 < argc && argv[i + 1][0]) {
			names[nnames++] = argv[++i];
		} else if (!strncmp(a, "--all=", 6) && a[6]) {
			names[nnames++] = a + 6;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return finish_output(0);
		} else if (!strcmp(a, "--version")) {
			printf("ljmm-maps (ljmm) " LJMM_VERSION "\n");
			return finish_output(0);
		} else if (!strcmp(a, "--")) {
			only_args = true;
		} else {
			fprintf(stderr, "ljmm-maps: unknown option or missing argument '%s' (see ljmm-maps --help)\n", a);
			return 2;
		}
	}
	if (json && prom) {
		fprintf(stderr, "ljmm-maps: --json and --prometheus cannot be combined (see ljmm-maps --help)\n");
		return 2;
	}
	if (file && (pids.n || nnames || table || prom)) {
		fprintf(stderr, "ljmm-maps: --maps-file takes no PID, --all, --table or --prometheus (see ljmm-maps --help)\n");
		return 2;
	}
	if (!file && !pids.n && !nnames) {
		fprintf(stderr, "ljmm-maps: give a PID, --all NAME or --maps-file FILE (see ljmm-maps --help)\n");
		return 2;
	}
	/* Rows for several PIDs given, even the same one twice (it gets one row). */
	if (file || (npids == 1 && !nnames && !table && !prom))
		rc = run_picture(file, file ? -1 : pids.v[0], json);
	else {
		form = prom ? OUT_PROMETHEUS : json ? OUT_JSON_ROWS : OUT_TABLE;
		rc = nnames ? ljmm_proc_find_all(names, nnames, &pids) : 0;
		if (!rc)
			rc = run_rows(&pids, form);
	}
	free(pids.v);
	free(pids.named);
	free(names);
	return rc;
}

