/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a detector sees of the engine, and the one way it reports.
 *
 * The engine lowers every front end (pthread, futex, allocator, Go) into one vocabulary of
 * actors (threads and goroutines), locks, heap blocks, waits and parks, and calls each
 * registered detector (struct hb_detector) at fixed points of it, the way TSan calls its
 * deadlock detector (MutexBeforeLock, MutexAfterLock) and every lock type calls lockdep's two
 * hooks. A detector keeps its own state, reads the engine only through the const views below
 * and the hb__*() queries, and never changes engine state: it reports through hb__report(),
 * which applies the shared policies once (quiet after loss, broken locks, deferral, the id,
 * and the descriptions a printer needs). The engine never calls a detector by name: the
 * registry (detect/registry.c) lists them, and run/ registers them with hb__add_detector().
 */
#ifndef RT_HOOKS_H
#define RT_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "events.h"
#include "engine/vc.h"
#include "report/finding.h"

struct hb;

enum rt_lock_kind {
	RT_LOCK_MUTEX = 1,
	RT_LOCK_RWLOCK,
	RT_LOCK_SPIN,
	RT_LOCK_GO_MUTEX,   /* a Go sync.Mutex */
	RT_LOCK_GO_RWMUTEX, /* a Go sync.RWMutex */
};

enum rt_lock_mode {
	RT_MODE_EXCL = 0, /* mutex, spinlock, rwlock write */
	RT_MODE_SHARED,	  /* rwlock read */
};

/* "mutex", "rwlock", "spinlock", "sync.Mutex", "sync.RWMutex"; "lock" when unknown */
const char *rt_lock_kind_name(enum rt_lock_kind k);

static inline bool rt_lock_kind_go(__u8 kind)
{
	return kind == RT_LOCK_GO_MUTEX || kind == RT_LOCK_GO_RWMUTEX;
}

/* glibc's mutex types: the low 2 bits of __kind */
#define RT_MTYPE_NORMAL 0
#define RT_MTYPE_RECURSIVE 1
#define RT_MTYPE_ERRORCHECK 2
#define RT_MTYPE_ADAPTIVE 3

#define RT_GO_KEY (1ULL << 40) /* goroutine actors' keys: above every tid */

/* A lock an actor holds, in acquisition order. */
struct rt_held {
	__u64 lock;
	__u64 site; /* caller address of the acquisition */
	__u8 kind;  /* enum rt_lock_kind */
	__u8 mode;  /* enum rt_lock_mode */
};

/* An acquisition: who, what, where. */
struct rt_acq {
	__u32 pid;
	__u32 tid;  /* shown in reports: the tid, or the goroutine id */
	__u64 key;  /* the actor's key */
	__u64 ktime;
	__u64 lock;
	__u64 site;
	__u8 kind;
	__u8 mode;
};

/*
 * A futex wait in progress (a kernel thread): on a lock word when lock != 0, with the owner
 * the lowering found (glibc keeps the owner's tid in the lock; a write-locked rwlock's writer
 * at +24), or our own idea of it.
 */
struct hb_wait {
	__u64 uaddr; /* 0: not waiting */
	__u64 since;
	__u64 lock;  /* the lock the futex word belongs to, 0 when it is no lock */
	__u32 owner; /* tid of the lock's owner, 0 when unknown */
	bool guess;  /* a mutex we never saw: trusted only if the owner is a thread we know */
	__u64 seq;   /* the thread's waits so far: tells one wait from the next */
};

/* What a kernel thread is blocked in, as its pthread calls tell (hb_actor.blocked). */
enum {
	RT_BLOCK_COND = 1, /* pthread_cond_wait (or a timed wait: flags) */
	RT_BLOCK_JOIN,	   /* pthread_join */
};

struct hb_blocked {
	__u8 kind;     /* RT_BLOCK_*, 0 when none */
	__u8 flags;    /* a cond wait's RT_COND_* (events.h); 0 when not known (older trace) */
	__u32 joined;  /* a join's thread (tid), 0 when not known */
	__u64 obj;     /* the condition variable, or the pthread_t joined */
	__u64 mutex;   /* a cond wait's mutex (released while it waits) */
	__u64 site;    /* the call's caller address */
	__u64 since;
	__u64 seq;     /* the thread's blocking calls so far: tells one from the next */
};

/* What a parked goroutine waits in. */
enum {
	RT_PARK_RECV = 1,
	RT_PARK_SEND,
	RT_PARK_WG,
	RT_PARK_MUTEX,
	RT_PARK_RLOCK,
	RT_PARK_WLOCK,
	RT_PARK_COND,
	RT_PARK_SELECT,
	RT_PARK_MAX,
};

#define RT_SELECT_SEEN 3 /* cases of a select the probe reads */

/* A blocking operation in progress (a goroutine): it may park until another actor acts. */
struct hb_park {
	__u8 kind; /* RT_PARK_*, 0 when none */
	bool explained; /* a finding already says why it is stuck (hb__report RT_REP_EXPLAINS) */
	__u64 obj, site, since;
	__u64 seq; /* the actor's parks so far: tells one park from the next */
	/* a select: its first channels (sends first) and case counts */
	__u64 sel[RT_SELECT_SEEN];
	__u16 sel_nsends, sel_ncases;
	__s16 sel_chosen; /* at the unpark hook: the case that fired, -1 when none or unknown */
};

/* A kernel thread or a goroutine. Read-only outside the engine. */
struct hb_actor {
	__u64 key; /* tid for a kernel thread, goid | RT_GO_KEY for a goroutine */
	__u64 uid; /* unique over the engine's life: a reused key is a new actor */
	__u32 tid; /* shown in reports: the tid, or the goroutine id */
	__u32 pid;
	__u32 sid; /* slot in vector clocks */
	bool alive;
	bool has_vc; /* vc holds the (final, when dead) clock */
	bool go_system; /* a goroutine the runtime made for itself (GC workers and the like) */
	struct rt_held *held; /* held locks, in acquisition order */
	size_t nheld, held_cap;
	/* a blocking acquisition seen at its entry and not known to have returned yet */
	bool has_pending;
	bool pending_again; /* ... of a lock it holds (a parked Go double lock) */
	struct rt_held pending;
	__u64 pending_since;
	struct hb_wait wait;
	struct hb_blocked blocked; /* a kernel thread's cond wait or join in progress */
	struct hb_park park;
	struct vc vc;
	char name[16]; /* comm, NUL-terminated */
	__u32 nstid;   /* the thread's id in its own pid namespace, 0 when unknown */
	__u32 parent;
	__u64 create_site;
	__u64 born; /* ktime of its first record, or of its creation */
	__u64 exit_ktime;
	/* the Go lowering's own bookkeeping (engine/lower_go.c) */
	__u32 last_forked;   /* tid of the last thread this one created */
	__u64 go_recv, go_wg; /* the channel a chanrecv waits on, the WaitGroup a Wait waits on */
	__u64 go_rw_wait;    /* an RLock that found a writer pending (see lower_go.c) */
	__u64 go_once[4];    /* the Once.doSlow calls in progress */
	__u8 go_nonce;
	/* the memory lowering's (engine/lower_mem.c): an atomic load to acquire at the next record */
	__u64 mem_acquire;
};

/* A lock's state. Read-only outside the engine. */
struct hb_lock {
	__u64 addr;
	__u8 kind;   /* enum rt_lock_kind */
	__u8 mtype;  /* RT_MTYPE_*, mutexes */
	bool known;  /* its state is known since attach (we saw it acquired or unlocked) */
	/*
	 * During an unlock (or cond wait) of a mutex: the mutex's own owner word, read by the
	 * probe, says no thread holds it (glibc's __owner at +8 is 0), whatever we saw.
	 */
	bool word_free;
	bool broken; /* misuse was reported (hb__report RT_REP_BREAK): no more reports on it */
	__u32 owner; /* exclusive holder tid (goroutine id), 0 when none */
	__u64 owner_key;
	__u32 depth; /* recursion depth of owner */
	__u32 readers;
	__u64 owner_site;
	struct sclock wclock; /* release clock of exclusive holds */
	struct sclock rclock; /* joined release clocks of shared holds since the last writer */
	__u32 page_next;      /* engine: next lock in the same page, index + 1 */
	bool live;
	__u64 acq_ktime; /* when the current exclusive hold began */
	__u32 stat;	 /* engine: index + 1 into the lock statistics, 0 when not tracked */
};

/* A heap block seen through the allocator probes. */
struct hb_block {
	__u64 addr;
	__u64 size; /* 0 when unknown (allocated before attach) */
	__u64 alloc_site;
	__u64 free_site;
	__u32 alloc_tid;
	__u32 free_tid;
	bool freed;
};

/* The Go operations a detector may care about, lowered from the Go probes. */
enum hb_go_op_kind {
	HB_GO_MAP_READ = 1,
	HB_GO_MAP_WRITE,
	HB_GO_MAP_NEW,	  /* obj: a map made (anew) at that address */
	HB_GO_CHAN_NEW,	  /* obj: a channel made at that address */
	HB_GO_CHAN_CLOSE, /* obj: the channel, 0 for a nil one */
	HB_GO_CHAN_SEND,  /* obj: the channel (a chansend: a plain send, or a select with default) */
	HB_GO_WG_ADD,	  /* arg: the delta (negative: Done) */
	HB_GO_WG_WAIT,
	HB_GO_SPAWN,	  /* t made goroutine obj (its goid) at site; arg: HB_GO_SPAWN_* flags */
	HB_GO_EXIT,	  /* t (a goroutine) ends: called before the engine forgets it */
	HB_GO_GC,	  /* a collection finished marking: from now on, heap memory that was
			   * unreachable may hold new objects (a Go lock seen before may be new) */
};

#define HB_GO_SPAWN_TESTING 0x1 /* the `go` statement is in package testing (a test's tRunner) */

struct hb_go_op {
	enum hb_go_op_kind kind;
	__u64 obj;
	__u64 site;
	__s64 arg;
};

/*
 * A memory access of the program's own code (--races), lowered from RT_EV_MEM_ACCESS.
 * atomic: an atomic instruction, or a plain one on a location the program also accesses with
 * atomic instructions (an acquire load or release store: on x86 they are plain movs); the
 * engine has already made it a release (write) or an acquire (read, at the actor's next record).
 */
struct hb_mem {
	__u64 addr;
	__u64 site; /* the end of the accessing instruction */
	__u8 size;
	bool write;
	bool atomic;
};

/* Counters a detector adds to the engine's (hb__stats). */
struct hb_counters;
struct hb_stats;

#define HB_MAX_DETECTORS 32	 /* detectors one engine can have */
#define HB_DET_COUNTERS_MAX 4 /* counters one detector can keep */

/*
 * A counter a detector keeps (hb_detector.counters), exported as the Prometheus counter
 * family `metric`, with the label table="`table`" when table is not NULL (the same (metric,
 * table) pair from several detectors, or from the engine, is summed). The engine and the
 * printers know nothing of a detector's counters but this.
 */
struct hb_det_counter {
	const char *metric;
	const char *table;
	const char *help; /* for a family of its own (table NULL) */
};

/* hb_detector.flags */
#define HB_DET_GO 0x1 /* only about Go programs */

/*
 * A detector: a name, its constructor and destructor, and the hooks it wants; NULL hooks are
 * skipped. Every hook gets the detector's own state first. Hooks that return int return 0, or
 * a negative errno (-ENOMEM) that stops the record's processing. Views are valid during the
 * call only. The engine calls the detectors in registration order.
 */
struct hb_detector {
	const char *name;
	unsigned int flags;
	/* NULL with errno set on failure */
	void *(*new)(struct hb *hb);
	void (*free)(void *st);

	/* ---- locks (every kind) ---- */
	/* t enters a blocking acquisition of a lock it does not hold, holding held[0..nheld). */
	int (*lock_wait)(void *st, const struct hb_actor *t, const struct rt_acq *a,
			 const struct rt_held *held, size_t nheld);
	/*
	 * t acquires pthread lock l again while holding it (prev) and no recursion allows it: it
	 * blocks forever (or fails with EDEADLK) and is not acquired. (A Go lock parks instead:
	 * t->pending_again, a double lock if it stays parked.)
	 */
	int (*lock_again)(void *st, const struct hb_actor *t, const struct hb_lock *l,
			  const struct rt_held *prev, const struct rt_acq *a);
	/* t releases its hold h of l (before the engine forgets the hold). */
	int (*lock_release)(void *st, const struct hb_actor *t, const struct hb_lock *l,
			    const struct rt_held *h);
	/* t unlocks l, which it does not hold (cond_wait: the mutex of a pthread_cond_wait). */
	int (*unlock_unheld)(void *st, const struct hb_actor *t, const struct hb_lock *l,
			     __u64 site, bool cond_wait);
	/* l was unlocked by another actor than its holder: its holds are no lock order. */
	int (*lock_handoff)(void *st, const struct hb_lock *l);
	/* t destroys l (before the engine retires it). */
	int (*lock_destroy)(void *st, const struct hb_actor *t, const struct hb_lock *l, __u64 site);
	/* t destroys the condition variable at cond (pthread_cond_destroy). */
	int (*cond_destroy)(void *st, const struct hb_actor *t, __u64 cond, __u64 site);
	/* The lock at addr ended (destroyed, freed, or its memory reused): a lock there is new. */
	void (*lock_retire)(void *st, __u64 addr);

	/* ---- heap ---- */
	/* t frees the block at addr (b: what we know of it, NULL when nothing; b->freed: twice). */
	int (*block_free)(void *st, const struct hb_actor *t, const struct hb_block *b, __u64 addr,
			  __u64 site);

	/* ---- actors ---- */
	/* t ends by itself (pthread_exit or a return from its start routine), not its process. */
	int (*thread_exit)(void *st, const struct hb_actor *t, __u64 site);
	/* The actor is gone for good: the engine reuses its slot (drop what is kept on it). */
	void (*actor_end)(void *st, const struct hb_actor *t);
	/* t's park (t->park) ends: the operation completed. */
	void (*unpark)(void *st, const struct hb_actor *t);
	/*
	 * Process pid is exiting (its exit() call, or the exit of its last thread): the actors
	 * are still as they were; settle what waits for time that will not come.
	 */
	int (*proc_exit)(void *st, __u32 pid);

	/* ---- Go ---- */
	int (*go)(void *st, const struct hb_actor *t, const struct hb_go_op *op);

	/* ---- memory (--races) ---- */
	/* t accesses memory (m). */
	int (*mem_access)(void *st, const struct hb_actor *t, const struct hb_mem *m);

	/* ---- time and gaps ---- */
	/* A tick record: time passed (now, hb__now()); decide what depends on time. */
	int (*tick)(void *st);
	/*
	 * Records were missed (events lost, probes changed): the engine forgot who holds what.
	 * Findings made since the last tick are dropped by the engine; forget what depends on them.
	 */
	void (*gap)(void *st);
	/* Add what the detector knows of its size to st (the lock-order graph's nodes, edges). */
	void (*stats)(const void *st, struct hb_stats *s);
	/*
	 * Its counters (caps hit, work done): their names, ended by one with a NULL metric (at
	 * most HB_DET_COUNTERS_MAX), and count(), which writes their values in that order.
	 */
	const struct hb_det_counter *counters;
	void (*count)(const void *st, __u64 *values);
};

/* ---- queries (const views) ---- */

__u64 hb__now(const struct hb *hb);
/* Events were lost since the last tick: what a detector sees now may be incomplete. */
bool hb__lossy(const struct hb *hb);
__u64 hb__hang_threshold(const struct hb *hb);
const struct hb_actor *hb__actor(const struct hb *hb, __u64 key);
/* All actor slots (alive or not: check ->alive), in a stable order. */
const struct hb_actor *hb__actors(const struct hb *hb, size_t *n);
const struct hb_lock *hb__lock(const struct hb *hb, __u64 addr);
/* t's hold of lock, most recent first; NULL when it holds none. */
const struct rt_held *hb__held(const struct hb_actor *t, __u64 lock);
/* Did the access of (sid, clock) happen before t's current point? */
static inline bool hb__ordered(const struct hb_actor *t, __u32 sid, __u32 clock)
{
	return vc_get(&t->vc, sid) >= clock;
}
/* t's own clock: what a later access of t is ordered after. */
static inline __u32 hb__own_clock(const struct hb_actor *t)
{
	return vc_get(&t->vc, t->sid);
}

/*
 * Was the condition variable at cond signalled or broadcast at or after `since` (a waiter that
 * began then may be woken)? Also true when the engine had to forget signals (its table's cap).
 */
bool hb__cond_signaled(const struct hb *hb, __u64 cond, __u64 since);

/* pid is exiting or gone (the proc_exit hook was called): its actors are frozen, not stuck. */
bool hb__proc_exited(const struct hb *hb, __u32 pid);
/* Go: the program's start was seen in pid, so every goroutine and WaitGroup history is known. */
bool hb__go_started(const struct hb *hb, __u32 pid);
/* Go channel flags (hb__go_chan): something outside the program sends on it ... */
#define RT_GO_CHAN_TIMER 0x1  /* made in package time */
#define RT_GO_CHAN_SIGNAL 0x2 /* given to os/signal.Notify */
/* a chan struct{}: it only signals (a close: shutdown, cancellation, ctx.Done()) */
#define RT_GO_CHAN_EVENT 0x4
/* What is known of the channel at ch: RT_GO_CHAN_* flags; its make site in *site (0). */
unsigned int hb__go_chan(const struct hb *hb, __u64 ch, __u64 *site);

/* ---- reporting ---- */

/* hb__report flags */
#define RT_REP_BREAK 0x1    /* mark the finding's locks broken: no more misuse reports on them */
#define RT_REP_EXPLAINS 0x2 /* the finding explains why its actors are parked (no leak report) */

/*
 * Report a finding: the one way out of a detector. Applies the shared policies once: nothing
 * is reported while events were lost since the last tick (counted in suppressed_lossy); the
 * finding's id is computed (the kind and the code sites; for findings made of edges, the set
 * of (held, acquire) site pairs); with defer_findings it waits for the next tick, which drops
 * it if that tick shows a loss; RT_REP_* flags. The thread, heap block and channel
 * descriptions are filled when it is handed to the sink. f is copied. 0, or -ENOMEM.
 */
int hb__report(struct hb *hb, struct rt_finding *f, unsigned int flags);
/* One more sighting of the finding with detector id `id` (reported before). */
void hb__report_again(struct hb *hb, __u64 id);
/* Whether the finding with detector id `id` reached the sink (not pending, not dropped). */
bool hb__reported(const struct hb *hb, __u64 id);

/* Start a finding about pid at the current time. */
static inline void hb__finding(const struct hb *hb, struct rt_finding *f, enum rt_kind kind,
			       __u32 pid)
{
	rt_finding_init(f, kind, pid, hb__now(hb));
}

/* Add lock l (or the lock at addr we know nothing of: l NULL) to a finding. */
static inline void hb__finding_lock(struct rt_finding *f, const struct hb_lock *l, __u64 addr)
{
	rt_finding_lock(f, addr, l ? rt_lock_kind_name(l->kind) : "lock");
}

#endif /* RT_HOOKS_H */
