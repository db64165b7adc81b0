// The constructor below runs before the Go runtime starts, while the
// process still has one thread, which setns(2) into a user or mount
// namespace requires.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// ckat_nsenter_entered is 1 in the child that joined a node's namespaces.
int ckat_nsenter_entered = 0;

static pid_t ckat_nsenter_child = 0;

static void ckat_nsenter_fail(const char *what, const char *detail) {
	fprintf(stderr, "ckat exec: cannot enter the node: %s: %s\n", what, detail);
	exit(125);
}

static void ckat_nsenter_forward(int sig) {
	if (ckat_nsenter_child > 0)
		kill(ckat_nsenter_child, sig);
}

__attribute__((constructor)) static void ckat_nsenter(void) {
	static const struct {
		const char *name;
		int type;
	} nss[] = {
		{"user", CLONE_NEWUSER}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
		{"pid", CLONE_NEWPID},   {"mnt", CLONE_NEWNS},
	};
	enum { count = sizeof(nss) / sizeof(nss[0]) };
	int fds[count];
	char path[64];
	char *end;
	long pid;
	struct stat theirs, ours;
	const char *env = getenv("_CKAT_NSENTER");

	if (env == NULL || *env == '\0')
		return;
	pid = strtol(env, &end, 10);
	if (*end != '\0' || pid <= 0)
		ckat_nsenter_fail("invalid _CKAT_NSENTER", env);
	for (int i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/%s", pid, nss[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			ckat_nsenter_fail(path, errno == ENOENT ? "the node is not running" : strerror(errno));
	}
	for (int i = 0; i < count; i++) {
		if (nss[i].type == CLONE_NEWUSER && fstat(fds[i], &theirs) == 0 &&
		    stat("/proc/self/ns/user", &ours) == 0 && theirs.st_dev == ours.st_dev &&
		    theirs.st_ino == ours.st_ino) {
			close(fds[i]);
			continue;
		}
		if (setns(fds[i], nss[i].type) < 0) {
			snprintf(path, sizeof(path), "setns %s", nss[i].name);
			ckat_nsenter_fail(path, strerror(errno));
		}
		close(fds[i]);
	}

	// Joining a PID namespace applies to children only.
	pid_t child = fork();
	if (child < 0)
		ckat_nsenter_fail("fork", strerror(errno));
	if (child == 0) {
		// The parent is outside the node's PID namespace, so getppid()
		// is 0 here; the command dies with it.
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		unsetenv("_CKAT_NSENTER");
		ckat_nsenter_entered = 1;
		return;
	}

	ckat_nsenter_child = child;
	struct sigaction fwd = {0};
	fwd.sa_handler = ckat_nsenter_forward;
	sigemptyset(&fwd.sa_mask);
	sigaction(SIGTERM, &fwd, NULL);
	sigaction(SIGHUP, &fwd, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	int status;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			ckat_nsenter_fail("waiting for the command", strerror(errno));
	}
	if (WIFSIGNALED(status))
		exit(128 + WTERMSIG(status));
	exit(WEXITSTATUS(status));
}
