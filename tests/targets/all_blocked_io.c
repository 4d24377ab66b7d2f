// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * all_blocked_io: all_blocked's hang, but with one more thread, the "idler", that sits in a
 * wait racetrace must not count as blocked for good (docs/detectors.md, deadlock all-threads).
 * Two "worker" threads wait (untimed) on condition variable C, which nobody signals yet, and
 * main waits in pthread_join for the first worker; then the idler blocks for HOLD_MS in
 *
 *   accept   accept() on a loopback listener (port chosen by the kernel): a server idle in
 *            accept is not deadlocked. A SIGALRM handler connects to it after HOLD_MS.
 *   sem      sem_wait(): sem_post is async-signal-safe, a SIGALRM handler posts it.
 *   pshared  an untimed pthread_cond_wait on a process-shared condition variable, which a
 *            child process signals after HOLD_MS.
 *   pipe     read() on a pipe, which a SIGALRM handler writes after HOLD_MS.
 *   sigwait  sigwait() for SIGALRM, which a timer sends after HOLD_MS.
 *   timed    pthread_cond_timedwait() with a deadline HOLD_MS away, on a condition variable
 *            nobody signals: a timed wait ends by itself.
 *
 * Then the idler broadcasts C, the workers and main go on and the program exits 0: every one
 * of these is a clean twin, racetrace must report nothing. HOLD_MS (default 1500) only has to
 * exceed the rule's confirmation delay (1 s) by some ticks, so that a wrongly counted idler
 * would be reported while it waits.
 *   cond     the positive control: the idler waits untimed on a private condition variable
 *            nobody signals, so every thread is blocked for good, for ever; racetrace must
 *            report one deadlock (all-threads) naming main, both workers and the idler. The
 *            test kills the process.
 *
 * The timer's SIGALRM is blocked in every thread but the idler (in sigwait mode in all of
 * them), so it interrupts no one else; the handlers use only async-signal-safe calls.
 *
 * Usage: all_blocked_io [-w] MODE [HOLD_MS]   (see target.h)
 */
#include <netinet/in.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "target.h"

#define USAGE "accept|sem|pshared|pipe|sigwait|timed|cond [HOLD_MS]"
#define NWORKERS 2

enum mode { M_ACCEPT, M_SEM, M_PSHARED, M_PIPE, M_SIGWAIT, M_TIMED, M_COND };
static const char *const mode_names[] = { "accept", "sem", "pshared", "pipe", "sigwait",
					  "timed", "cond" };

static pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond_c = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_c = PTHREAD_COND_INITIALIZER;
static pthread_cond_t idle_c = PTHREAD_COND_INITIALIZER; /* timed, cond: nobody signals it */
static int ready, work_posted;
static enum mode mode;
static long hold_ms = 1500;

/* What the SIGALRM handler and the child use, set up before the timer or fork. */
static struct sockaddr_in listen_addr;
static volatile sig_atomic_t client_fd = -1;
static sem_t idle_sem;
static int pipe_fd[2] = { -1, -1 };

/* The process-shared condition variable and its mutex, in a MAP_SHARED mapping. */
struct shared {
	pthread_mutex_t m;
	pthread_cond_t c;
	int posted;
};
static struct shared *sh;
static pid_t child = -1;

static void on_alarm(int sig)
{
	int fd, saved = errno;

	(void)sig;
	if (mode == M_ACCEPT) {
		/* socket and connect are async-signal-safe; loopback connects at once */
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)))
			_exit(3);
		client_fd = fd;
	} else if (mode == M_SEM) {
		sem_post(&idle_sem);
	} else if (mode == M_PIPE) {
		if (write(pipe_fd[1], "x", 1) != 1)
			_exit(3);
	}
	errno = saved;
}

/* SIGALRM once, HOLD_MS from now. */
static void arm_timer(void)
{
	struct itimerval it = { .it_value = { .tv_sec = hold_ms / 1000,
					      .tv_usec = hold_ms % 1000 * 1000 } };

	if (setitimer(ITIMER_REAL, &it, NULL))
		target_die("setitimer", errno);
}

static void set_alarm_mask(int how)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	CHECK_PT(pthread_sigmask(how, &s, NULL));
}

static __attribute__((noinline)) void idle_accept(void)
{
	socklen_t len = sizeof(listen_addr);
	int lfd, cfd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		target_die("socket", errno);
	listen_addr.sin_family = AF_INET;
	listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_addr.sin_port = 0; /* the kernel picks the port */
	if (bind(lfd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&listen_addr, &len))
		target_die("listen on 127.0.0.1", errno);
	arm_timer();
	while ((cfd = accept(lfd, NULL, NULL)) < 0 && errno == EINTR)
		;
	if (cfd < 0)
		target_die("accept", errno);
	close(cfd);
	close(client_fd);
	close(lfd);
}

static __attribute__((noinline)) void idle_sem_wait(void)
{
	arm_timer();
	while (sem_wait(&idle_sem))
		if (errno != EINTR)
			target_die("sem_wait", errno);
}

static __attribute__((noinline)) void idle_pshared(void)
{
	char c = 'x';

	CHECK_PT(pthread_mutex_lock(&sh->m));
	/* the child signals only once it holds sh->m, so after this wait began */
	if (write(pipe_fd[1], &c, 1) != 1)
		target_die("write pipe", errno);
	while (!sh->posted)
		CHECK_PT(pthread_cond_wait(&sh->c, &sh->m)); /* untimed, process-shared */
	CHECK_PT(pthread_mutex_unlock(&sh->m));
}

static __attribute__((noinline)) void idle_read(void)
{
	ssize_t n;
	char c;

	arm_timer();
	while ((n = read(pipe_fd[0], &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		target_die("read pipe", n < 0 ? errno : EIO);
}

static __attribute__((noinline)) void idle_sigwait(void)
{
	sigset_t s;
	int sig;

	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	arm_timer();
	CHECK_PT(sigwait(&s, &sig));
}

static __attribute__((noinline)) void idle_timed(void)
{
	struct timespec ts;
	int rc = 0;

	if (clock_gettime(CLOCK_REALTIME, &ts))
		target_die("clock_gettime", errno);
	ts.tv_sec += hold_ms / 1000;
	ts.tv_nsec += hold_ms % 1000 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	CHECK_PT(pthread_mutex_lock(&lock_m));
	while (rc != ETIMEDOUT) { /* nobody signals idle_c: only the deadline ends it */
		rc = pthread_cond_timedwait(&idle_c, &lock_m, &ts);
		if (rc && rc != ETIMEDOUT)
			target_die("pthread_cond_timedwait", rc);
	}
	CHECK_PT(pthread_mutex_unlock(&lock_m));
}

static __attribute__((noinline)) void idle_cond(void)
{
	CHECK_PT(pthread_mutex_lock(&lock_m));
	for (;;)
		CHECK_PT(pthread_cond_wait(&idle_c, &lock_m)); /* the bug: nobody signals idle_c */
}

static __attribute__((noinline)) void *thread_idler(void *arg)
{
	target_note_tid("idler");
	if (mode != M_SIGWAIT)
		set_alarm_mask(SIG_UNBLOCK);
	switch (mode) {
	case M_ACCEPT:
		idle_accept();
		break;
	case M_SEM:
		idle_sem_wait();
		break;
	case M_PSHARED:
		idle_pshared();
		break;
	case M_PIPE:
		idle_read();
		break;
	case M_SIGWAIT:
		idle_sigwait();
		break;
	case M_TIMED:
		idle_timed();
		break;
	case M_COND:
		idle_cond();
		break;
	}
	/* the work the workers wait for */
	CHECK_PT(pthread_mutex_lock(&lock_m));
	work_posted = 1;
	CHECK_PT(pthread_cond_broadcast(&cond_c));
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	return arg;
}

static __attribute__((noinline)) void *thread_worker(void *arg)
{
	target_note_tid("worker");
	CHECK_PT(pthread_mutex_lock(&lock_m));
	ready++;
	CHECK_PT(pthread_cond_signal(&ready_c));
	while (!work_posted)
		CHECK_PT(pthread_cond_wait(&cond_c, &lock_m)); /* untimed: the idler posts it */
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	return arg;
}

/* The child of pshared mode: once the idler waits, wait HOLD_MS, then signal it. */
static void __attribute__((noreturn)) run_child(void)
{
	struct timespec ts = { .tv_sec = hold_ms / 1000, .tv_nsec = hold_ms % 1000 * 1000000L };
	char c;

	close(pipe_fd[1]);
	if (read(pipe_fd[0], &c, 1) != 1)
		_exit(0); /* the parent died first */
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	if (pthread_mutex_lock(&sh->m))
		_exit(3);
	sh->posted = 1;
	if (pthread_cond_signal(&sh->c) || pthread_mutex_unlock(&sh->m))
		_exit(3);
	_exit(0);
}

static void setup_pshared(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		target_die("mmap", errno);
	CHECK_PT(pthread_mutexattr_init(&ma));
	CHECK_PT(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
	CHECK_PT(pthread_mutex_init(&sh->m, &ma));
	CHECK_PT(pthread_mutexattr_destroy(&ma));
	CHECK_PT(pthread_condattr_init(&ca));
	CHECK_PT(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
	CHECK_PT(pthread_cond_init(&sh->c, &ca));
	CHECK_PT(pthread_condattr_destroy(&ca));
	/* forked while main is the only thread */
	child = fork();
	if (child < 0)
		target_die("fork", errno);
	if (child == 0)
		run_child();
	close(pipe_fd[0]);
}

static __attribute__((noinline)) void wait_for_threads(pthread_t *w, pthread_t idler)
{
	int i;

	for (i = 0; i < NWORKERS; i++)
		CHECK_PT(pthread_join(w[i], NULL));
	CHECK_PT(pthread_join(idler, NULL));
}

static void work(void *arg)
{
	pthread_t w[NWORKERS], idler;
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	int i, status;

	(void)arg;
	target_note_tid("main");
	if (mode == M_SEM && sem_init(&idle_sem, 0, 0))
		target_die("sem_init", errno);
	if ((mode == M_PIPE || mode == M_PSHARED) && pipe(pipe_fd))
		target_die("pipe", errno);
	if (mode == M_PSHARED)
		setup_pshared();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		target_die("sigaction", errno);
	/* every thread inherits the blocked SIGALRM; the idler unblocks it */
	set_alarm_mask(SIG_BLOCK);
	for (i = 0; i < NWORKERS; i++)
		CHECK_PT(pthread_create(&w[i], NULL, thread_worker, NULL));
	/* every worker is in its wait on C once main holds M again with ready == NWORKERS */
	CHECK_PT(pthread_mutex_lock(&lock_m));
	while (ready < NWORKERS)
		CHECK_PT(pthread_cond_wait(&ready_c, &lock_m));
	CHECK_PT(pthread_mutex_unlock(&lock_m));
	CHECK_PT(pthread_create(&idler, NULL, thread_idler, NULL));
	wait_for_threads(w, idler);
	if (child > 0) {
		if (waitpid(child, &status, 0) != child)
			target_die("waitpid", errno);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			target_die("child", ECHILD);
	}
}

int main(int argc, char **argv)
{
	struct target_opts o;
	int i = target_parse(argc, argv, USAGE, &o);
	size_t m;

	if (i >= argc)
		target_usage(USAGE);
	for (m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++)
		if (!strcmp(argv[i], mode_names[m]))
			break;
	if (m == sizeof(mode_names) / sizeof(mode_names[0]))
		target_usage(USAGE);
	mode = (enum mode)m;
	i++;
	if (i < argc)
		hold_ms = target_long_arg(argv[i++], 1, 60000, "hold time (ms)");
	if (i != argc || o.keep)
		target_usage(USAGE);
	target_run(&o, work, NULL);
	return 0;
}
