/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one contract between the BPF programs and user space: record types and their layout.
 * Every record in the ring buffer (and in a trace file) is a struct rt_event of exactly
 * RT_EVENT_SIZE bytes. Fixed-width types only; bump RT_EVENTS_ABI on any layout change.
 * Meaning of the generic payload fields per type is given next to each type below.
 */
#ifndef RT_EVENTS_H
#define RT_EVENTS_H

#define RT_EVENTS_ABI 8
/*
 * The oldest ABI a trace may have and still replay. ABI 6 kept every record and field of 5
 * and only added (owner words in ret, RT_EV_COND_DESTROY, cond wait flags in arg), which read
 * as "not known" in a trace of 5. ABI 7 only added RT_EV_MEM_ACCESS (--races), ABI 8 only
 * RT_EV_GO_GC.
 */
#define RT_EVENTS_ABI_MIN 5

#define RT_NO_ADDR 0ULL
#define RT_NO_STACK (-1)
#define RT_NO_OWNER 0U
#define RT_FUTEX_OP_UNKNOWN 0xffffffffULL
/* in ret: the lock's owner word was read (ABI 6); without it (0) nothing was read */
#define RT_OWNER_READ (1ULL << 32)
/* cond_wait's arg */
#define RT_COND_READ 0x1	/* the flags below were set by the probe */
#define RT_COND_TIMED 0x2	/* pthread_cond_timedwait or clockwait: it ends by itself */
#define RT_COND_PSHARED 0x4 /* a process-shared condvar (glibc's __wrefs bit 0, at +36) */

/*
 * Event types. "entry" records are emitted at function entry, "return" records at function
 * return (the entry arguments come back from the per-thread stash). obj is the sync object
 * address, obj2 a second object, caller the return address at entry, arg an extra argument,
 * ret the return value.
 */
enum rt_ev_type {
	RT_EV_NONE = 0,
	/* threads (sched tracepoints and pthread uprobes) */
	RT_EV_THREAD_FORK,	/* kernel clone of a thread: arg = child tid, obj2 = the child's
				 * tid in its own pid namespace (0: unknown) */
	RT_EV_THREAD_EXIT,	/* kernel exit of a thread: arg = exit code, ret = 1 when the
				 * whole process is exiting (exit_group, fatal signal) */
	RT_EV_PTHREAD_CREATE,	/* return: obj = new pthread_t, caller = call site, ret */
	RT_EV_PTHREAD_JOIN,	/* entry: obj = pthread_t joined */
	RT_EV_PTHREAD_JOIN_RET,	/* return: obj = pthread_t joined, ret */
	RT_EV_PTHREAD_EXIT,	/* entry */
	/* mutexes */
	RT_EV_MUTEX_LOCK,	/* entry: obj = mutex (blocking acquire), arg = the mutex's kind
				 * word (glibc __kind at +16: type in the low 2 bits) */
	RT_EV_MUTEX_TRYLOCK,	/* return: obj = mutex, ret = 0 when acquired */
	RT_EV_MUTEX_TIMEDLOCK,	/* return: obj = mutex, ret = 0 when acquired (timed/clocklock) */
	RT_EV_MUTEX_UNLOCK,	/* entry: obj = mutex, arg = kind word as for MUTEX_LOCK, ret =
				 * RT_OWNER_READ | the owner tid at +8 (0: nobody holds it) */
	RT_EV_MUTEX_DESTROY,	/* entry: obj = mutex */
	/* rwlocks */
	RT_EV_RWLOCK_RDLOCK,	/* entry: obj = rwlock */
	RT_EV_RWLOCK_WRLOCK,	/* entry: obj = rwlock */
	RT_EV_RWLOCK_TRYRDLOCK, /* return: obj, ret = 0 when acquired (try/timed/clock) */
	RT_EV_RWLOCK_TRYWRLOCK, /* return: obj, ret = 0 when acquired (try/timed/clock) */
	RT_EV_RWLOCK_UNLOCK,	/* entry: obj = rwlock */
	/* spinlocks */
	RT_EV_SPIN_LOCK,	/* entry: obj = spinlock */
	RT_EV_SPIN_TRYLOCK,	/* return: obj, ret = 0 when acquired */
	RT_EV_SPIN_UNLOCK,	/* entry: obj = spinlock (glibc shares this code with spin_init) */
	/* condition variables */
	RT_EV_COND_WAIT,	/* entry: obj = cond, obj2 = mutex (the mutex is released), ret =
				 * RT_OWNER_READ | the mutex's owner tid at +8, arg = RT_COND_*
				 * flags (ABI 6; 0 in older traces: not known) */
	RT_EV_COND_WAIT_RET,	/* return: obj = cond, obj2 = mutex (re-acquired), ret */
	RT_EV_COND_SIGNAL,	/* entry: obj = cond */
	RT_EV_COND_BROADCAST,	/* entry: obj = cond */
	/* semaphores */
	RT_EV_SEM_WAIT,		/* return: obj = sem, ret = 0 when decremented (all wait forms) */
	RT_EV_SEM_POST,		/* entry: obj = sem */
	/* allocator */
	RT_EV_ALLOC,		/* return: obj = block (ret value), arg = size; malloc, calloc,
				 * memalign family (posix_memalign: obj read through arg1) */
	RT_EV_REALLOC,		/* return: obj = new block, obj2 = old block, arg = size */
	RT_EV_FREE,		/* entry: obj = block */
	/* futex syscall */
	RT_EV_FUTEX_WAIT,	/* enter: obj = uaddr, arg = futex op | val << 32, ret = u32 at
				 * uaddr+8 (a
				 * glibc mutex's owner tid), obj2 = u32 at uaddr+16 | u32 at
				 * uaddr+12 << 32 (a glibc rwlock's writer tid at +24 when uaddr
				 * is its +8 or +12 futex word) */
	RT_EV_FUTEX_WAIT_RET,	/* exit: obj = uaddr, arg = futex op, ret = syscall result; obj 0
				 * and arg RT_FUTEX_OP_UNKNOWN: a futex call entered before attach */
	RT_EV_FUTEX_WAKE,	/* enter: obj = uaddr, arg = futex op */
	RT_EV_FUTEX_WAKE_RET,	/* exit: obj = uaddr, arg = futex op, ret = woken count */
	RT_EV_PROC_EXIT,	/* entry of exit(): obj = status */
	RT_EV_THREAD_NAME,	/* the thread's comm changed (or learned at attach): obj and obj2
				 * hold its 16 bytes, NUL-padded; learned at attach, arg = its tid
				 * in its own pid namespace (0: unknown) */
	RT_EV_EXEC,		/* a process exec'ed: the target (one target), or any process
				 * (daemon mode, not filtered by target); obj and obj2 hold the
				 * new comm */
	/*
	 * Go (h.goid is the goroutine). obj comes from the Go register ABI: arg 0 is in RAX,
	 * arg 1 in RBX; "site" probes sit inside a caller, on an inlined body.
	 */
	RT_EV_GO_MAP_READ,	/* entry of runtime.mapaccess*, mapiterinit: obj = hmap */
	RT_EV_GO_MAP_WRITE,	/* entry of runtime.mapassign*, mapdelete*, mapclear: obj = hmap */
	RT_EV_GO_MAP_DONE,	/* a return of one of those */
	RT_EV_GO_MAP_NEW,	/* a return of runtime.makemap*: obj = hmap (a new identity),
				 * arg = the return address (the `make` site) */
	RT_EV_GO_CHAN_NEW,	/* a return of runtime.makechan: obj = hchan, arg = the return
				 * address (the `make(chan)` site), ret = its element size
				 * | RT_GO_FIELD_READ, or 0 when unknown */
	RT_EV_GO_CHAN_SEND,	/* entry of runtime.chansend: obj = hchan */
	RT_EV_GO_CHAN_SEND_DONE, /* a return of runtime.chansend */
	RT_EV_GO_CHAN_RECV,	/* entry of runtime.chanrecv: obj = hchan */
	RT_EV_GO_CHAN_RECV_DONE, /* a return of runtime.chanrecv */
	RT_EV_GO_CHAN_CLOSE,	/* entry of runtime.closechan: obj = hchan */
	RT_EV_GO_SPAWN,		/* entry of runtime.newproc: a `go` statement (goid: the parent) */
	RT_EV_GO_GO,		/* a return of runtime.newproc1, on the same thread right after:
				 * obj = the new goroutine's id */
	RT_EV_GO_EXIT,		/* entry of runtime.goexit1: the goroutine ends */
	RT_EV_GO_LOCK,		/* inlined Mutex.Lock fast path that succeeded: obj = mutex */
	RT_EV_GO_LOCK_SLOW,	/* entry of sync.(*Mutex).lockSlow: obj = mutex */
	RT_EV_GO_LOCK_SLOW_DONE, /* a return of lockSlow: the mutex is held */
	RT_EV_GO_UNLOCK,	/* inlined Mutex.Unlock, or sync.(*Mutex).Unlock's entry: obj */
	RT_EV_GO_WG_ADD,	/* entry of sync.(*WaitGroup).Add: obj = wg, arg = delta */
	RT_EV_GO_WG_WAIT,	/* entry of sync.(*WaitGroup).Wait: obj = wg */
	RT_EV_GO_WG_WAIT_DONE,	/* a return of Wait */
	RT_EV_TICK,		/* made by user space, never by BPF: ktime = now, so that
				 * time-based detectors (deadlock, hang) replay exactly */
	/* more Go, after TICK so that recorded traces keep their numbers */
	RT_EV_GO_RLOCK,		/* inlined RWMutex.RLock, after its `lock xadd` on readerCount
				 * (arg = RFLAGS: SF set when a writer is pending and the reader
				 * parks), or RWMutex.RLock's entry (arg 0): obj = rwmutex */
	RT_EV_GO_RUNLOCK,	/* inlined RWMutex.RUnlock (as for GO_UNLOCK), or its entry */
	RT_EV_GO_WLOCK,		/* entry of sync.(*RWMutex).Lock: obj = rwmutex */
	RT_EV_GO_WLOCK_DONE,	/* a return of RWMutex.Lock: the writer holds it */
	RT_EV_GO_WUNLOCK,	/* entry of sync.(*RWMutex).Unlock: obj = rwmutex */
	RT_EV_GO_COND_WAIT,	/* entry of sync.(*Cond).Wait: obj = cond */
	RT_EV_GO_COND_WAIT_DONE, /* a return of Cond.Wait */
	RT_EV_GO_SIGNAL_NOTIFY,	/* entry of os/signal.Notify: obj = the channel signals go to */
	RT_EV_GO_SELECT,	/* entry of runtime.selectgo: obj, obj2, arg = the channels of
				 * cases 0, 1, 2 (sends first; 0 past the last case), ret =
				 * nsends | nrecvs << 16 | block << 32 */
	RT_EV_GO_SELECT_DONE,	/* a return of selectgo: obj = the chosen case (-1: default) */
	RT_EV_GO_ONCE_CHECK,	/* inlined Once.Do's fast path, on the jump testing Once.done:
				 * obj = the Once */
	RT_EV_GO_ONCE_SLOW,	/* entry of sync.(*Once).doSlow: obj = the Once */
	RT_EV_GO_ONCE_SLOW_DONE, /* a return of doSlow: the function ran (or another did) */
	/* more pthread, at the end so that recorded traces keep their numbers (ABI 6) */
	RT_EV_COND_DESTROY,	/* entry: obj = cond */
	/*
	 * A memory access of the program's own code (--races; uprobe_mem; ABI 7): obj = the
	 * address, caller = the end of the accessing instruction (the site, like a return
	 * address), arg = its size in bytes | RT_MEM_* flags. h.goid is the goroutine in Go code.
	 */
	RT_EV_MEM_ACCESS,
	/*
	 * Entry of runtime.gcMarkTermination (ABI 8): a Go garbage collection finished marking, and
	 * the heap objects it found unreachable may now be swept and their memory given to new
	 * objects (a lock or a map at an address seen before may be another one).
	 */
	RT_EV_GO_GC,
	RT_EV_MAX,
};

/* flags in the header */
#define RT_EVF_RET 0x1	 /* record emitted at function return */
#define RT_EVF_SYNTH 0x2 /* made by user space: a futex wait already in progress at attach */
/*
 * Set on allocator records whose caller is inside the C library itself (realloc freeing, a
 * thread's malloc cache handed back at its exit): the library's own bookkeeping, not the
 * program's, and not balanced by probed calls. The probe sets it (the caller lies in the
 * mapping of the probed function), else user space from /proc/PID/maps.
 */
#define RT_EVF_INTERNAL 0x4
/*
 * A futex wait seen by the scheduler rather than the syscall (--probes futex, see
 * futex.bpf.c): RT_EV_FUTEX_WAIT when the thread went to sleep in it, RT_EV_FUTEX_WAIT_RET
 * when it ran again, with ret 0 (the result is not known); obj 0 and arg RT_FUTEX_OP_UNKNOWN
 * at a thread's first switch after the attach (it may be in a wait learned from /proc).
 */
#define RT_EVF_SCHED 0x8

/*
 * Set by user space on the Go records whose call site it classified (the symbolizer, from the
 * binary), so that the engine and a replay need nothing but the records: RT_EVF_GO_RUNTIME on
 * a go_spawn whose `go` statement is in the runtime's own packages (its goroutine serves the
 * runtime), RT_EVF_GO_TIME on a go_chan_new made in package time (a timer's channel),
 * RT_EVF_GO_TESTING on a go_spawn in package testing (`go tRunner(t, f)`: a test function).
 */
#define RT_EVF_GO_RUNTIME 0x10
#define RT_EVF_GO_TIME 0x20
#define RT_EVF_GO_TESTING 0x40 /* a go_spawn in package testing: a test's goroutine */

/* Target flags (the targets map's values, or the targ_flags knob of a single target). */
#define RT_TF_TRACED 0x1
#define RT_TF_SCHED_WAITS 0x2 /* futex waits from sched_switch, not from the syscall */

/* Drop counter reasons (index into the per-CPU "drops" array). */
enum rt_drop_reason {
	RT_DROP_RINGBUF = 0, /* bpf_ringbuf_reserve failed: buffer full */
	RT_DROP_STASH = 1,   /* return without a stashed entry (stash full or evicted) */
	RT_DROP_STACK = 2,   /* a stack sample did not fit in its ring buffer */
	RT_DROP_EXEC = 3,    /* an exec record did not fit in its ring buffer */
	RT_DROP_MAX,
};

struct rt_hdr {
	__u16 type;	/* enum rt_ev_type */
	__u16 flags;	/* RT_EVF_* */
	__s32 stack_id; /* RT_NO_STACK when no stack was captured */
	__u32 tid;
	__u32 tgid;
	__u64 ktime; /* bpf_ktime_get_ns() */
	__u64 goid;  /* goroutine id, 0 for non-Go code */
};

struct rt_event {
	struct rt_hdr h;
	__u64 obj;
	__u64 obj2;
	__u64 caller;
	__u64 arg;
	__s64 ret;
};

#define RT_EVENT_SIZE 72

/*
 * uprobe cookies: the low 16 bits are the event type to emit, bits 16-21 say what the entry
 * program does with a call, and bits 32-47 name the stash slot that pairs an entry with its
 * return (one slot per probed function, so nested probed calls do not collide).
 */
#define RT_CK_TYPE_MASK 0xffffULL
#define RT_CK_SLOT_SHIFT 32
#define RT_CK_SLOT(ck) (((ck) >> RT_CK_SLOT_SHIFT) & 0xffffULL)
#define RT_CK_EMIT 0x10000ULL	   /* entry: emit a record */
#define RT_CK_STASH 0x20000ULL	   /* entry: stash args for the return program */
#define RT_CK_DEREF_ARG1 0x40000ULL /* return: obj = *(u64 *)arg1 (pthread_create) */
#define RT_CK_ARG_SIZE2 0x80000ULL  /* entry: size = arg1 * arg2 (calloc) */
#define RT_CK_SIZE_ARG2 0x100000ULL /* entry: size = arg2 (memalign, aligned_alloc) */
#define RT_CK_SIZE_ARG3 0x200000ULL /* entry: size = arg3 (posix_memalign) */
/* C probes only (the bit is RT_CK_GO_ARG1 in a Go cookie): a timed wait (cond_wait's arg) */
#define RT_CK_TIMED 0x1000000ULL

/*
 * Stack samples: for a call site seen for the first time (keyed by its caller address), the
 * probe copies the registers an unwinder needs and the top of the user stack into a second
 * ring buffer ("stacks"), plus the frame-pointer chain the kernel walks. User space unwinds
 * the copy with .eh_frame (libdw), so code without frame pointers gets full stacks too, and
 * later calls from the same site cost one hash lookup.
 */
#define RT_STACK_BYTES 8192
#define RT_FP_DEPTH 32

enum rt_stack_reg {
	RT_REG_RIP,
	RT_REG_RSP,
	RT_REG_RBP,
	RT_REG_RBX,
	RT_REG_R12,
	RT_REG_R13,
	RT_REG_R14,
	RT_REG_R15,
	RT_NREGS,
};

struct rt_stack_sample {
	__u32 tid;
	__u32 tgid;
	__u64 site;   /* the caller address the sample stands for */
	__u64 regs[RT_NREGS];
	__u32 at_entry; /* 1: taken at a function's first instruction (regs in the callee) */
	__u32 nfp;	/* entries in fp[] */
	__u32 len;	/* bytes of stack copied from regs[RT_REG_RSP] */
	__u32 pad;
	__u64 fp[RT_FP_DEPTH];
	__u8 data[RT_STACK_BYTES];
};

#define RT_CK_STACK 0x400000ULL /* take a stack sample the first time a call site is seen */
/*
 * Go probes: the goroutine id is read from the g in R14. RT_CK_GO_ARG1 takes obj from RBX
 * instead of RAX; RT_CK_GO_RETVAL: the probe is on a return instruction and obj is RAX (the
 * return value); RT_CK_GO_SITE: an inlined body's atomic, probed on the instruction after it,
 * where obj = DWARF register (bits 24-27) + displacement (signed, bits 32-63), and for a lock
 * ZF says whether the fast path won. Go cookies carry no stash slot.
 */
#define RT_CK_GO 0x800000ULL
#define RT_CK_GO_ARG1 0x1000000ULL
#define RT_CK_GO_RETVAL 0x2000000ULL
#define RT_CK_GO_SITE 0x4000000ULL
#define RT_CK_GO_RIPREL 0x8000000ULL /* SITE: obj = the probe's address + displacement */
/*
 * SITE (the bit of RETVAL, which sites do not use): the probe is on the `mov disp(%reg), base`
 * that loads the atomic's base right before it (a release probed before its atomic): obj =
 * the u64 at register (bits 28-31) + load displacement (signed, bits 32-47), + the operand's
 * displacement (signed, bits 48-63).
 */
#define RT_CK_GO_LOAD RT_CK_GO_RETVAL
#define RT_CK_GO_LOAD_BITS(ld, disp) \
	((__u64)(__u16)(__s16)(ld) << 32 | (__u64)(__u16)(__s16)(disp) << 48)
#define RT_CK_GO_LOAD_DISP(ck) ((__s64)(__s16)((ck) >> 32))
#define RT_CK_GO_LOAD_ADD(ck) ((__s64)(__s16)((ck) >> 48))
/* SITE (the bit of ARG1, which sites do not use): a lock probe on the jump that tests the fast
 * path's result, where ZF *clear* says it won */
#define RT_CK_GO_ZF_CLEAR RT_CK_GO_ARG1
/*
 * Not SITE: the probe is on the `jbe` of the function's stack check; when CF or ZF is set the
 * jump to morestack is taken and the function runs again from its entry, so that pass is not
 * recorded (it would be recorded twice).
 */
#define RT_CK_GO_MORESTACK 0x100000000ULL
/*
 * Not SITE: the function is only called through the runtime's small wrappers (chanrecv1,
 * chansend1, selectnbrecv...): the record's caller is the wrapper's caller, read through the
 * wrapper's frame pointer (RBP at our probe, before the function's own prologue).
 */
#define RT_CK_GO_CALLER2 0x200000000ULL
/*
 * RETVAL: ret = RT_GO_FIELD_READ | the u16 at RAX + bits 48-63 of the cookie (hchan.elemsize
 * for makechan's returns: 0 for a chan struct{}, a channel that only signals); 0 unread.
 */
#define RT_CK_GO_FIELD16 0x10000000000ULL
#define RT_CK_GO_FIELD_SHIFT 48
#define RT_GO_FIELD_READ 0x10000
#define RT_CK_GO_REG_SHIFT 28
#define RT_CK_GO_REG(ck) (((ck) >> RT_CK_GO_REG_SHIFT) & 0xfULL)
#define RT_CK_GO_DISP(ck) ((__s64)(__s32)((ck) >> 32))

/* RT_EV_MEM_ACCESS arg: size in the low byte, then */
#define RT_MEM_SIZE_MASK 0xffULL
#define RT_MEM_READ 0x100ULL
#define RT_MEM_WRITE 0x200ULL
#define RT_MEM_ATOMIC 0x400ULL /* lock prefix, xchg with memory, cmpxchg */

/*
 * uprobe_mem cookies: how to compute the address of one access from the registers at the
 * probe. The probe may sit on the instruction before an atomic (uprobes refuse the lock prefix)
 * or after it, so it also says where the accessing instruction ends (the record's site).
 * address = disp + (RIPREL ? site : 0) + (BASE ? reg[base] : 0) + (INDEX ? reg[index] << scale)
 */
#define RT_MCK_DISP(ck) ((__s64)(__s32)((ck) & 0xffffffffULL))
#define RT_MCK_BASE_SHIFT 32 /* DWARF register number, 4 bits */
#define RT_MCK_INDEX_SHIFT 36
#define RT_MCK_SCALE_SHIFT 40 /* log2 of the scale, 2 bits */
#define RT_MCK_SIZE_SHIFT 42  /* log2 of the size, 3 bits */
#define RT_MCK_END_SHIFT 45   /* site - probe address, 8 bits */
#define RT_MCK_BASE (1ULL << 53)
#define RT_MCK_INDEX (1ULL << 54)
#define RT_MCK_RIPREL (1ULL << 55)
#define RT_MCK_READ (1ULL << 56)
#define RT_MCK_WRITE (1ULL << 57)
#define RT_MCK_ATOMIC (1ULL << 58)
#define RT_MCK_GO (1ULL << 59) /* read the goroutine id from R14's g */
#define RT_MCK_REG(ck, shift) (((ck) >> (shift)) & 0xfULL)
#define RT_MCK_SCALE(ck) (((ck) >> RT_MCK_SCALE_SHIFT) & 0x3ULL)
#define RT_MCK_SIZE(ck) (1ULL << (((ck) >> RT_MCK_SIZE_SHIFT) & 0x7ULL))
#define RT_MCK_END(ck) (((ck) >> RT_MCK_END_SHIFT) & 0xffULL)

#endif /* RT_EVENTS_H */
