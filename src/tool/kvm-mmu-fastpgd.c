// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-mmu-fastpgd: operator tool of the kvm-mmu-fastpgd package.
 *
 *   kvm-mmu-fastpgd [--json] status
 *   kvm-mmu-fastpgd activate [--dry-run]
 *   kvm-mmu-fastpgd bench [--iters N] [--titers N] [--modes 64,pae]
 *   kvm-mmu-fastpgd --help | --version
 *
 * Exit status: 0 success; 1 failure (activate could not reload, a bench run
 * failed); 2 bad usage or missing privileges; 3 activate refused because
 * VMs run or /dev/kvm is held; 4 not possible here (chroot, KVM built in,
 * no /dev/kvm, benchmark not installed).  See kvm-mmu-fastpgd(8).
 *
 * Paths can be pointed elsewhere for tests: KMF_SYSFS (/sys), KMF_PROC
 * (/proc), KMF_MODDIR (/lib/modules), KMF_STATE (/var/lib/kvm-mmu-fastpgd),
 * KMF_SRCDIR (/usr/src), KMF_DKMS (/var/lib/dkms), KMF_LIBEXEC.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/lib/kvm-mmu-fastpgd"
#endif
#define PKG "kvm-mmu-fastpgd"
#define TOOL_VERSION "0.1.0"
#define SB_VAR "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

enum { EX_OK, EX_FAIL, EX_USAGE, EX_REFUSED, EX_NOTHERE };

static const char *sysfs, *procfs, *moddir, *statedir, *srcdir, *dkmsdir, *libexec;

static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs(PKG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* first line of a file, without its newline; 0 if unreadable */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 1;
}

/*
 * Run argv, capture its stdout (and stderr if both) into buf, trimmed of
 * trailing newlines.  Returns the exit status, or -1.
 */
static int run_capture(char *const argv[], char *buf, size_t len, int both)
{
	int fd[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	buf[0] = 0;
	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (!pid) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(fd[1], 1);
		dup2(both ? fd[1] : devnull, 2);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	while (n + 1 < len && (r = read(fd[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	/* drain what does not fit */
	{
		char sink[512];

		while (read(fd[0], sink, sizeof(sink)) > 0)
			;
	}
	close(fd[0]);
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* JSON string output */
static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* ------------------------------------------------------------ status */

static int cmp_str(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

struct pkginfo {
	char version[64];
	char tree[512];
	char bases[256];	/* space-separated */
};

static void find_package(struct pkginfo *p)
{
	char path[1024], line[256];
	struct dirent *de;
	DIR *d;

	p->version[0] = p->tree[0] = p->bases[0] = 0;
	d = opendir(srcdir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, PKG "-", strlen(PKG) + 1))
			continue;
		snprintf(path, sizeof(path), "%s/%s/dkms.conf", srcdir, de->d_name);
		FILE *f = fopen(path, "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "PACKAGE_VERSION=\"%63[^\"]\"", p->version) == 1)
				break;
		fclose(f);
		snprintf(p->tree, sizeof(p->tree), "%s/%s", srcdir, de->d_name);
		break;
	}
	closedir(d);
	if (!p->tree[0])
		return;
	snprintf(path, sizeof(path), "%s/patches", p->tree);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char s[1300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(s, sizeof(s), "%s/%s/series", path, de->d_name);
		if (!exists(s))
			continue;
		if (strlen(p->bases) + strlen(de->d_name) + 2 < sizeof(p->bases)) {
			strcat(p->bases, de->d_name);
			strcat(p->bases, " ");
		}
	}
	closedir(d);
	/* "5.10 6.1", sorted */
	{
		char *tok, *save, *v[16], b[256];
		int n = 0;

		snprintf(b, sizeof(b), "%s", p->bases);
		for (tok = strtok_r(b, " ", &save); tok && n < 16; tok = strtok_r(NULL, " ", &save))
			v[n++] = tok;
		qsort(v, n, sizeof(v[0]), cmp_str);
		p->bases[0] = 0;
		for (int i = 0; i < n; i++) {
			strcat(p->bases, i ? " " : "");
			strcat(p->bases, v[i]);
		}
	}
}

static int has_base(const struct pkginfo *p, const char *base)
{
	size_t n = strlen(base);

	for (const char *s = p->bases; (s = strstr(s, base)); s++)
		if ((s == p->bases || s[-1] == ' ') && (s[n] == ' ' || !s[n]))
			return 1;
	return 0;
}

/* our module NAME for kernel k, any compression; 1 if found */
static int our_ko(const char *k, const char *name, char *out, size_t len)
{
	static const char *const ext[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
	/* dkms's directory: Debian and Ubuntu, then Fedora and RHEL */
	static const char *const dir[] = { "updates/dkms", "extra" };

	for (unsigned int d = 0; d < sizeof(dir) / sizeof(dir[0]); d++)
		for (unsigned int i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
			snprintf(out, len, "%s/%s/%s/%s%s", moddir, k, dir[d], name, ext[i]);
			if (exists(out))
				return 1;
		}
	out[0] = 0;
	return 0;
}

/*
 * FIELD=value from an uncompressed module's .modinfo strings (each one is
 * NUL-terminated); 1 if found.  Needs no modinfo(8): busybox's cannot read
 * a module given by path.
 */
static int ko_field(const char *file, const char *field, char *out, size_t len)
{
	char pat[64], buf[65536];
	size_t pl, keep = 0, n;
	int found = 0;
	FILE *f;

	pl = (size_t)snprintf(pat, sizeof(pat), "%s=", field);
	if (pl >= sizeof(pat) || !(f = fopen(file, "rb")))
		return 0;
	buf[0] = 0;	/* a field at offset 0 is preceded by "nothing" */
	while (!found && (n = fread(buf + keep, 1, sizeof(buf) - keep - 1, f)) > 0) {
		size_t end = keep + n;

		buf[end] = 0;
		for (size_t i = 1; i + pl < end; i++) {
			if (buf[i - 1] || memcmp(buf + i, pat, pl))
				continue;
			snprintf(out, len, "%.*s", (int)strnlen(buf + i + pl, end - i - pl), buf + i + pl);
			found = 1;
			break;
		}
		/* keep a tail in case the field spans two reads */
		keep = end > 256 ? 256 : end;
		memmove(buf, buf + end - keep, keep);
	}
	fclose(f);
	return found;
}

static void modinfo_field(const char *file, const char *field, char *out, size_t len)
{
	char *argv[] = { "modinfo", "-F", (char *)field, (char *)file, NULL };
	size_t fl = strlen(file);

	if (fl > 3 && !strcmp(file + fl - 3, ".ko") && strcmp(field, "signer") &&
	    ko_field(file, field, out, len))
		return;
	if (run_capture(argv, out, len, 0) != 0)
		out[0] = 0;
	out[strcspn(out, "\n")] = 0;
}

struct kinfo {
	char name[256];
	char base[32];
	const char *support;	/* supported | included | unsupported */
	const char *dkms;	/* installed | built | not built */
	char why[512];		/* why not built, from the build step */
	char smoke[512];	/* pass DATE | fail DATE: why | none */
};

static void kernel_info(const struct pkginfo *p, const char *k, struct kinfo *ki)
{
	char path[1024], ko[1024];
	int maj = 0, min = 0;

	memset(ki, 0, sizeof(*ki));
	snprintf(ki->name, sizeof(ki->name), "%s", k);
	sscanf(k, "%d.%d", &maj, &min);
	snprintf(ki->base, sizeof(ki->base), "%d.%d", maj, min);
	if (has_base(p, ki->base))
		ki->support = "supported";
	else if (maj > 6 || (maj == 6 && min >= 5))
		ki->support = "included";
	else
		ki->support = "unsupported";

	snprintf(path, sizeof(path), "%s/" PKG "/%s/%s", dkmsdir, p->version, k);
	if (our_ko(k, "kvm", ko, sizeof(ko)))
		ki->dkms = "installed";
	else if (p->version[0] && exists(path))
		ki->dkms = "built";
	else
		ki->dkms = "not built";
	if (!strcmp(ki->support, "supported") && strcmp(ki->dkms, "installed") && p->tree[0]) {
		char script[1100], out[4096], *last;
		char *argv[] = { "sh", script, "--check", (char *)k, NULL };

		snprintf(script, sizeof(script), "%s/src/kvm-fastpgd-build", p->tree);
		run_capture(argv, out, sizeof(out), 1);
		last = strrchr(out, '\n');
		last = last ? last + 1 : out;
		if (!strncmp(last, PKG ": ", strlen(PKG) + 2))
			last += strlen(PKG) + 2;
		snprintf(ki->why, sizeof(ki->why), "%.500s", last);
	}
	snprintf(path, sizeof(path), "%s/smoke/%s", statedir, k);
	if (!read_line(path, ki->smoke, sizeof(ki->smoke)))
		snprintf(ki->smoke, sizeof(ki->smoke), "none");
}

struct running {
	char kver[256];
	const char *kvm;	/* not loaded | built-in | fastpgd | stock */
	char version[64];
	char vendor[16];
	int matches_installed;	/* loaded srcversion == resolved file's, -1 unknown */
	int vms, holders;
	int secure_boot;	/* 1, 0, -1 unknown (not EFI) */
	char signer[256];	/* of our installed kvm.ko */
	char taint[32];
};

static void count_users(int *vms, int *holders)
{
	struct dirent *de, *fe;
	char path[512], target[256];
	DIR *d = opendir(procfs), *fd;

	*vms = *holders = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		int held = 0;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/fd", procfs, de->d_name);
		fd = opendir(path);
		if (!fd)
			continue;
		while ((fe = readdir(fd))) {
			char link[800];
			ssize_t n;

			snprintf(link, sizeof(link), "%s/%s", path, fe->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = 0;
			if (!strcmp(target, "anon_inode:kvm-vm")) {
				(*vms)++;
				held = 1;
			} else if (!strcmp(target, "/dev/kvm")) {
				held = 1;
			}
		}
		closedir(fd);
		*holders += held;
	}
	closedir(d);
}

static void running_info(struct running *r)
{
	char path[512], buf[256], ko[1024], file_src[128];
	struct utsname u;
	unsigned char sb[5];
	int fd;

	memset(r, 0, sizeof(*r));
	uname(&u);
	snprintf(r->kver, sizeof(r->kver), "%s", env_or("KMF_KVER", u.release));
	r->matches_installed = -1;
	snprintf(path, sizeof(path), "%s/module/kvm", sysfs);
	if (!exists(path)) {
		r->kvm = "not loaded";
	} else {
		snprintf(path, sizeof(path), "%s/module/kvm/refcnt", sysfs);
		if (!exists(path)) {
			r->kvm = "built-in";
		} else {
			snprintf(path, sizeof(path), "%s/module/kvm/version", sysfs);
			if (read_line(path, r->version, sizeof(r->version)))
				r->kvm = "fastpgd";
			else
				r->kvm = "stock";
			snprintf(path, sizeof(path), "%s/module/kvm/srcversion", sysfs);
			if (read_line(path, buf, sizeof(buf)) && our_ko(r->kver, "kvm", ko, sizeof(ko))) {
				modinfo_field(ko, "srcversion", file_src, sizeof(file_src));
				r->matches_installed = file_src[0] && !strcmp(file_src, buf);
			}
			snprintf(path, sizeof(path), "%s/module/kvm/taint", sysfs);
			read_line(path, r->taint, sizeof(r->taint));
		}
	}
	snprintf(path, sizeof(path), "%s/module/kvm_intel", sysfs);
	if (exists(path))
		snprintf(r->vendor, sizeof(r->vendor), "kvm_intel");
	snprintf(path, sizeof(path), "%s/module/kvm_amd", sysfs);
	if (exists(path))
		snprintf(r->vendor, sizeof(r->vendor), "kvm_amd");
	count_users(&r->vms, &r->holders);

	r->secure_boot = -1;
	snprintf(path, sizeof(path), "%s/firmware/efi/efivars/" SB_VAR, sysfs);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		if (read(fd, sb, sizeof(sb)) == (ssize_t)sizeof(sb))
			r->secure_boot = sb[4] == 1;
		close(fd);
	} else {
		snprintf(path, sizeof(path), "%s/firmware/efi", sysfs);
		if (exists(path))
			r->secure_boot = 0;
	}
	if (our_ko(r->kver, "kvm", ko, sizeof(ko)))
		modinfo_field(ko, "signer", r->signer, sizeof(r->signer));
}

static int cmd_status(int json)
{
	struct pkginfo p;
	struct running r;
	struct kinfo ki;
	struct dirent *de;
	char **names = NULL, path[1024];
	size_t n = 0, i;
	DIR *d;

	find_package(&p);
	d = opendir(moddir);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/kernel", moddir, de->d_name);
			if (!exists(path))
				continue;
			names = realloc(names, (n + 1) * sizeof(*names));
			if (!names || !(names[n++] = strdup(de->d_name))) {
				msg("out of memory");
				return EX_FAIL;
			}
		}
		closedir(d);
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	running_info(&r);

	if (json) {
		printf("{\"package_version\": ");
		jstr(p.version[0] ? p.version : "not installed");
		printf(", \"supported_bases\": [");
		{
			char b[256], *tok, *save;
			int first = 1;

			snprintf(b, sizeof(b), "%s", p.bases);
			for (tok = strtok_r(b, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
				printf("%s", first ? "" : ", ");
				jstr(tok);
				first = 0;
			}
		}
		printf("], \"kernels\": [");
	} else {
		printf("package: %s (series for %s)\n", p.version[0] ? p.version : "DKMS tree not installed",
		       p.bases[0] ? p.bases : "nothing");
		printf("%-28s %-11s %-10s %s\n", "kernel", "series", "dkms", "smoke test");
	}
	for (i = 0; i < n; i++) {
		kernel_info(&p, names[i], &ki);
		if (json) {
			printf("%s{\"kernel\": ", i ? ", " : "");
			jstr(ki.name);
			printf(", \"running\": %s, \"series\": ", strcmp(ki.name, r.kver) ? "false" : "true");
			jstr(ki.support);
			printf(", \"dkms\": ");
			jstr(ki.dkms);
			printf(", \"reason\": ");
			jstr(ki.why);
			printf(", \"smoke\": ");
			jstr(ki.smoke);
			printf("}");
		} else {
			printf("%-28s %-11s %-10s %s%s%s\n", ki.name, ki.support, ki.dkms, ki.smoke,
			       ki.why[0] ? "; " : "", ki.why);
		}
		free(names[i]);
	}
	free(names);
	if (json) {
		printf("], \"running\": {\"kernel\": ");
		jstr(r.kver);
		printf(", \"kvm\": ");
		jstr(r.kvm);
		printf(", \"kvm_version\": ");
		jstr(r.version);
		printf(", \"vendor_module\": ");
		jstr(r.vendor);
		printf(", \"matches_installed\": %s", r.matches_installed < 0 ? "null" :
		       r.matches_installed ? "true" : "false");
		printf(", \"vms\": %d, \"dev_kvm_holders\": %d", r.vms, r.holders);
		printf(", \"secure_boot\": %s", r.secure_boot < 0 ? "null" : r.secure_boot ? "true" : "false");
		printf(", \"module_signer\": ");
		jstr(r.signer);
		printf(", \"kvm_taint\": ");
		jstr(r.taint);
		printf("}}\n");
		return EX_OK;
	}
	printf("running kernel: %s\n", r.kver);
	if (!strcmp(r.kvm, "fastpgd"))
		printf("loaded KVM: fastpgd %s%s%s\n", r.version, r.vendor[0] ? " with " : "", r.vendor);
	else
		printf("loaded KVM: %s%s%s\n", r.kvm, r.vendor[0] ? " with " : "", r.vendor);
	if (r.matches_installed >= 0)
		printf("loaded kvm is the installed DKMS build: %s\n", r.matches_installed ? "yes" :
		       "no (run 'kvm-mmu-fastpgd activate' or reboot)");
	printf("VMs running: %d (%d processes hold /dev/kvm)\n", r.vms, r.holders);
	printf("Secure Boot: %s; our kvm.ko signed by: %s%s\n",
	       r.secure_boot < 0 ? "not an EFI boot" : r.secure_boot ? "on" : "off",
	       r.signer[0] ? r.signer : "nobody",
	       r.secure_boot == 1 && !r.signer[0] ? " (it cannot load: see 'kvm-mmu-fastpgd(8)', MOK enrolment)" : "");
	if (r.taint[0])
		printf("kvm taint flags: %s\n", r.taint);
	return EX_OK;
}

/* ---------------------------------------------------------- activate */

static int cmd_activate(int dry)
{
	char script[512];
	char *argv[] = { script, dry ? "--dry-run" : NULL, NULL };
	int st;
	pid_t pid;

	snprintf(script, sizeof(script), "%s/kvm-fastpgd-activate", libexec);
	if (access(script, X_OK)) {
		msg("%s is missing: is kvm-mmu-fastpgd-dkms installed?", script);
		return EX_NOTHERE;
	}
	pid = fork();
	if (pid < 0) {
		msg("fork: %s", strerror(errno));
		return EX_FAIL;
	}
	if (!pid) {
		execv(script, argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return EX_FAIL;
	/* the script's exit codes are the tool's */
	return WEXITSTATUS(st) > EX_NOTHERE ? EX_FAIL : WEXITSTATUS(st);
}

/* ------------------------------------------------------------- bench */

static const char *tracefs(void)
{
	static char t[512];

	snprintf(t, sizeof(t), "%s/kernel/tracing/events", sysfs);
	if (exists(t)) {
		snprintf(t, sizeof(t), "%s/kernel/tracing", sysfs);
		return t;
	}
	snprintf(t, sizeof(t), "%s/kernel/debug/tracing", sysfs);
	return t;
}

static int write_file(const char *path, const char *s, int append)
{
	int fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * The counters tests/vmm reads: kprobes on kvm_mmu_unload and
 * mmu_free_root_page, and one trace instance per counted tracepoint.
 * What cannot be armed stays absent and is printed as "-".
 */
static const char *const instances[][3] = {
	{ "kmf_cr0", "kvm/kvm_exit", NULL },
	{ "kmf_fault", "kvm/kvm_page_fault", "" },
	{ "kmf_newpage", "kvmmmu/kvm_mmu_get_page", "created==1" },
};

static void counters_disarm(void)
{
	const char *t = tracefs();
	char p[1024];

	for (unsigned int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events/kmf/%s/enable", t, i ? "free_root" : "mmu_unload");
		write_file(p, "0", 0);
	}
	snprintf(p, sizeof(p), "%s/kprobe_events", t);
	write_file(p, "-:kmf/mmu_unload\n", 1);
	write_file(p, "-:kmf/free_root\n", 1);
	for (unsigned int i = 0; i < sizeof(instances) / sizeof(instances[0]); i++) {
		snprintf(p, sizeof(p), "%s/instances/%s", t, instances[i][0]);
		rmdir(p);
	}
}

static int counters_arm(const char *vendor)
{
	const char *t = tracefs();
	char p[1024];
	int armed = 0;

	counters_disarm();
	snprintf(p, sizeof(p), "%s/kprobe_events", t);
	if (!write_file(p, "p:kmf/mmu_unload kvm_mmu_unload\n", 1)) {
		snprintf(p, sizeof(p), "%s/events/kmf/mmu_unload/enable", t);
		armed += !write_file(p, "1", 0);
	}
	snprintf(p, sizeof(p), "%s/kprobe_events", t);
	if (!write_file(p, "p:kmf/free_root mmu_free_root_page\n", 1)) {
		snprintf(p, sizeof(p), "%s/events/kmf/free_root/enable", t);
		armed += !write_file(p, "1", 0);
	}
	for (unsigned int i = 0; i < sizeof(instances) / sizeof(instances[0]); i++) {
		const char *filter = instances[i][2];
		char d[600];

		if (!filter)	/* CR0-write exit reasons: SVM 0x10, 0x65; VMX 28 */
			filter = strcmp(vendor, "kvm_intel") ? "exit_reason==16||exit_reason==101" :
				 "exit_reason==28";
		snprintf(d, sizeof(d), "%s/instances/%s", t, instances[i][0]);
		if (mkdir(d, 0700))
			continue;
		snprintf(p, sizeof(p), "%s/buffer_size_kb", d);
		write_file(p, "16", 0);
		if (*filter) {
			snprintf(p, sizeof(p), "%s/events/%s/filter", d, instances[i][1]);
			write_file(p, filter, 0);
		}
		snprintf(p, sizeof(p), "%s/events/%s/enable", d, instances[i][1]);
		armed += !write_file(p, "1", 0);
	}
	return armed;
}

/* value of key=... in a vmm output line, or NULL */
static const char *field(const char *line, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *s = line; (s = strstr(s, key)); s++) {
		if ((s == line || s[-1] == ' ') && s[kl] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(s + kl + 1, " \n"), s + kl + 1);
			return out;
		}
	}
	return NULL;
}

static void per_iter(const char *line, const char *key, double iters, char *out, size_t len)
{
	char v[64];

	if (!field(line, key, v, sizeof(v)) || !strcmp(v, "null"))
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.2f", strtod(v, NULL) / iters);
}

static int cmd_bench(unsigned long iters, unsigned long titers, const char *modes)
{
	char vmm[512], path[512], version[64], vendor[16] = "", out[4096];
	const char *mode_list[2];
	int nmodes = 0, rc = EX_OK, armed;

	snprintf(vmm, sizeof(vmm), "%s/vmm", libexec);
	if (access(vmm, X_OK)) {
		msg("the benchmark (%s) is not installed", vmm);
		return EX_NOTHERE;
	}
	if (access("/dev/kvm", R_OK | W_OK)) {
		msg("/dev/kvm: %s: load kvm and kvm_intel or kvm_amd first", strerror(errno));
		return EX_NOTHERE;
	}
	snprintf(path, sizeof(path), "%s/module/kvm_intel", sysfs);
	if (exists(path))
		snprintf(vendor, sizeof(vendor), "kvm_intel");
	snprintf(path, sizeof(path), "%s/module/kvm_amd", sysfs);
	if (exists(path))
		snprintf(vendor, sizeof(vendor), "kvm_amd");
	snprintf(path, sizeof(path), "%s/module/kvm/version", sysfs);
	if (!read_line(path, version, sizeof(version)))
		version[0] = 0;
	if (strstr(modes, "64"))
		mode_list[nmodes++] = "64";
	if (strstr(modes, "pae"))
		mode_list[nmodes++] = "pae";
	if (!nmodes) {
		msg("--modes: 64, pae or 64,pae");
		return EX_USAGE;
	}
	armed = geteuid() == 0 ? counters_arm(vendor) : 0;
	printf("CR0.WP benchmark on this host's /dev/kvm, loaded KVM: %s%s%s\n",
	       version[0] ? "fastpgd " : "stock", version, vendor[0] ? "" : " (no vendor module?)");
	printf("numbers for the %s modules only; stock numbers need the stock modules loaded (remove the package or boot without it)\n",
	       version[0] ? "fastpgd" : "stock");
	if (!armed)
		printf("MMU counters not available (needs root and tracefs with kprobes): shown as -\n");
	printf("%-4s %-13s %8s %14s %10s %9s %9s %9s %8s\n", "mode", "workload", "iters",
	       "cycles/iter", "ns/iter", "cr0exit/i", "unload/i", "roots/i", "faults/i");
	for (int m = 0; m < nmodes; m++) {
		static const char *const wl[] = { "toggle", "toggle+touch", "cpuid" };
		double cyc[3] = { 0, 0, 0 };

		for (int w = 0; w < 3; w++) {
			char n[32], v[64], c0[16], c1[16], c2[16], c3[16];
			unsigned long it = w == 1 ? titers : iters;
			char *argv[] = { vmm, "--mode", (char *)mode_list[m], "--iters", n, "run",
					 (char *)wl[w], NULL };
			int st;

			snprintf(n, sizeof(n), "%lu", it);
			st = run_capture(argv, out, sizeof(out), 1);
			if (st != 0 || !field(out, "cycles_per_iter", v, sizeof(v))) {
				msg("vmm --mode %s run %s failed (exit %d): %.200s", mode_list[m], wl[w], st, out);
				rc = EX_FAIL;
				continue;
			}
			cyc[w] = strtod(v, NULL);
			per_iter(out, "cr0_write_exits", (double)it, c0, sizeof(c0));
			per_iter(out, "mmu_unload_calls", (double)it, c1, sizeof(c1));
			per_iter(out, "roots_freed", (double)it, c2, sizeof(c2));
			per_iter(out, "tdp_faults", (double)it, c3, sizeof(c3));
			printf("%-4s %-13s %8lu %14s %10s %9s %9s %9s %8s\n", mode_list[m], wl[w], it, v,
			       field(out, "ns_per_iter", n, sizeof(n)) ? n : "-", c0, c1, c2, c3);
		}
		if (cyc[0] > 0 && cyc[2] > 0)
			printf("%-4s toggle / cpuid: %.1f\n", mode_list[m], cyc[0] / cyc[2]);
	}
	if (geteuid() == 0)
		counters_disarm();
	return rc;
}

/* -------------------------------------------------------------- main */

static void help(void)
{
	puts("usage: kvm-mmu-fastpgd [--json] status\n"
	     "       kvm-mmu-fastpgd activate [--dry-run]\n"
	     "       kvm-mmu-fastpgd bench [--iters N] [--titers N] [--modes 64,pae]\n"
	     "       kvm-mmu-fastpgd --help | --version\n"
	     "\n"
	     "status    per installed kernel: series supported / already included / unsupported,\n"
	     "          DKMS state, smoke-test result; running kernel: loaded KVM (ours or stock),\n"
	     "          VMs running, Secure Boot and module signature\n"
	     "activate  reload kvm, kvm-intel / kvm-amd with the installed modules when no VM runs\n"
	     "bench     the CR0.WP benchmark on this host's /dev/kvm, for the loaded modules\n"
	     "\n"
	     "exit status: 0 ok, 1 failed, 2 usage, 3 refused (VMs running), 4 not possible here\n"
	     "see kvm-mmu-fastpgd(8)");
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || !v) {
		msg("not a positive number: %s", s);
		exit(EX_USAGE);
	}
	return v;
}

int main(int argc, char **argv)
{
	int json = 0, i = 1;

	sysfs = env_or("KMF_SYSFS", "/sys");
	procfs = env_or("KMF_PROC", "/proc");
	moddir = env_or("KMF_MODDIR", "/lib/modules");
	statedir = env_or("KMF_STATE", "/var/lib/kvm-mmu-fastpgd");
	srcdir = env_or("KMF_SRCDIR", "/usr/src");
	dkmsdir = env_or("KMF_DKMS", "/var/lib/dkms");
	libexec = env_or("KMF_LIBEXEC", LIBEXECDIR);

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			help();
			return EX_OK;
		} else if (!strcmp(argv[i], "--version")) {
			puts(PKG " " TOOL_VERSION);
			return EX_OK;
		} else {
			msg("unknown option %s (see --help)", argv[i]);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		msg("no command (see --help)");
		return EX_USAGE;
	}
	if (!strcmp(argv[i], "status")) {
		if (i + 1 < argc && !strcmp(argv[i + 1], "--json"))
			json = 1, i++;
		if (i + 1 != argc) {
			msg("status takes no argument besides --json");
			return EX_USAGE;
		}
		return cmd_status(json);
	}
	if (!strcmp(argv[i], "activate")) {
		if (i + 1 == argc)
			return cmd_activate(0);
		if (i + 2 == argc && !strcmp(argv[i + 1], "--dry-run"))
			return cmd_activate(1);
		msg("usage: kvm-mmu-fastpgd activate [--dry-run]");
		return EX_USAGE;
	}
	if (!strcmp(argv[i], "bench")) {
		unsigned long iters = 2000, titers = 200;
		const char *modes = "64,pae";

		for (i++; i < argc; i++) {
			if (!strcmp(argv[i], "--iters") && i + 1 < argc)
				iters = num(argv[++i]);
			else if (!strcmp(argv[i], "--titers") && i + 1 < argc)
				titers = num(argv[++i]);
			else if (!strcmp(argv[i], "--modes") && i + 1 < argc)
				modes = argv[++i];
			else {
				msg("usage: kvm-mmu-fastpgd bench [--iters N] [--titers N] [--modes 64,pae]");
				return EX_USAGE;
			}
		}
		return cmd_bench(iters, titers, modes);
	}
	msg("unknown command %s (see --help)", argv[i]);
	return EX_USAGE;
}
