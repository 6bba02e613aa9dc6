/*
 * async_completion.c: a prototype of "a completion from the library's own
 * threads", measured against a Python thread pool by
 * benches/python/async_wait.py (see benches/async-wait.md). Not part of the
 * library: a fixed pool of native threads takes send jobs from a list, makes
 * the blocking ua_send_event, and calls the caller's completion function with
 * the code and result from that native thread, as a library-side async send
 * would. Built as a shared library that Python loads with ctypes.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coveo_ua.h"

typedef void (*completion_fn)(void *token, ua_code code, ua_result *result);

struct job {
    struct job *next;
    const ua_client *client;
    ua_event_kind kind;
    char *json;
    completion_fn done;
    void *token;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;

static void *worker(void *unused)
{
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (head == NULL) pthread_cond_wait(&ready, &lock);
        struct job *job = head;
        head = job->next;
        if (head == NULL) tail = NULL;
        pthread_mutex_unlock(&lock);

        ua_result *result = NULL;
        ua_code code = ua_send_event(job->client, job->kind, job->json, &result);
        job->done(job->token, code, result); /* the caller frees the result */
        free(job->json);
        free(job);
    }
    return NULL;
}

/* Starts `threads` workers; returns 0, or -1 when one could not start. */
int completion_start(int threads)
{
    for (int i = 0; i < threads; i++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker, NULL) != 0) return -1;
        pthread_detach(thread);
    }
    return 0;
}

/* Queues one send; `done(token, code, result)` runs on a worker once it ends. */
int completion_send(const ua_client *client, ua_event_kind kind, const char *json, completion_fn done, void *token)
{
    struct job *job = malloc(sizeof *job);
    if (job == NULL) return -1;
    job->json = strdup(json);
    if (job->json == NULL) {
        free(job);
        return -1;
    }
    job->next = NULL;
    job->client = client;
    job->kind = kind;
    job->done = done;
    job->token = token;
    pthread_mutex_lock(&lock);
    if (tail != NULL)
        tail->next = job;
    else
        head = job;
    tail = job;
    pthread_cond_signal(&ready);
    pthread_mutex_unlock(&lock);
    return 0;
}
