// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The demo's buggy program: a tiny bank whose transfer() locks the source account, then the
 * destination. Transfers from Alice to Bob and from Bob to Alice therefore take the two
 * account locks in opposite orders: a lock-order inversion that deadlocks the day two such
 * transfers overlap. Here the two tellers run one after the other (a join orders them), so the
 * program always finishes, and racetrace still reports the deadlock waiting to happen.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
	const char *owner;
	long balance;
	pthread_mutex_t lock;
};

struct transfer_job {
	struct account *from, *to;
	long amount;
	int times;
};

static __attribute__((noinline)) void transfer(struct account *from, struct account *to,
					       long amount)
{
	pthread_mutex_lock(&from->lock);
	pthread_mutex_lock(&to->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

static void *teller(void *arg)
{
	struct transfer_job *job = arg;
	int i;

	for (i = 0; i < job->times; i++)
		transfer(job->from, job->to, job->amount);
	return NULL;
}

static struct account *account_new(const char *owner, long balance)
{
	struct account *a = calloc(1, sizeof(*a));

	if (!a)
		exit(1);
	a->owner = owner;
	a->balance = balance;
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

int main(void)
{
	struct account *alice = account_new("alice", 100), *bob = account_new("bob", 100);
	struct transfer_job pay = { alice, bob, 1, 100 }, refund = { bob, alice, 1, 100 };
	pthread_t t;

	pthread_create(&t, NULL, teller, &pay);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, teller, &refund);
	pthread_join(t, NULL);
	fprintf(stderr, "bank: alice has %ld, bob has %ld\n", alice->balance, bob->balance);
	free(alice);
	free(bob);
	return 0;
}
