// Skein's MPI addon: collectives on the tensor heap, in place, run by one communication thread.
//
// The main thread only queues jobs and returns a promise; the communication thread (which called
// MPI_Init_thread, so it owns MPI) runs them in order with the blocking collectives (Open MPI's
// tuned algorithms) and settles each promise through one thread-safe function. Buffers are the
// typed arrays' own memory (the tensor heap never moves), held by a reference until settled.
//
// A watchdog thread bounds every collective: one still running after the timeout fails with code
// 'TIMEOUT' (a rank died or stopped answering), and so does every job after it, since the
// communication thread may never come back. A failed job can then only end with MPI_Abort, which
// is the one MPI call made off the communication thread; MPI_THREAD_MULTIPLE is asked for so that
// it is legal while that thread is stuck in a collective.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <dlfcn.h>
#include <errno.h>
#include <mpi.h>
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum { J_INIT, J_BARRIER, J_ALLREDUCE, J_BCAST, J_ALLGATHER, J_REDUCE_SCATTER, J_FINALIZE } kind_t;
typedef enum { S_PENDING, S_OK, S_MPI, S_TIMEOUT, S_FAILED } status_t;

typedef struct job {
  kind_t kind;
  void *send, *recv;
  int count;  // elements of send (allgather, reduceScatter: per rank)
  MPI_Datatype type;
  MPI_Op op;
  int avg;    // divide the sum by the world size (float types only)
  int root;
  napi_typedarray_type ta;
  napi_deferred deferred;
  napi_ref keep[2];
  status_t status;
  int settled;  // abandoned by the watchdog (a copy went to the main thread) or not awaited
  char message[320];
  struct job *next;
} job_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;   // the communication thread: a job is queued
static pthread_cond_t dog = PTHREAD_COND_INITIALIZER;    // the watchdog: a job started or finished
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;   // shutdown: finalized, or failed
static job_t *head = NULL, *tail = NULL;
static job_t *running = NULL;
static struct timespec running_since;
static pthread_t comm_thread, dog_thread;
static napi_threadsafe_function tsfn = NULL;
static int started = 0, closing = 0, stopping = 0, failed = 0, finalized = 0, joined = 0;
static int pending = 0;        // main thread only: promises not yet settled (the tsfn is ref'd while > 0)
static long timeout_ms = 300000;
static int rank = -1, size = 0, local_rank = -1, local_size = 0, thread_level = -1;
static MPI_Comm comm = MPI_COMM_NULL;

static double elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1e3 + (now.tv_nsec - since->tv_nsec) / 1e6;
}

static void describe(job_t *j, int rc, const char *what) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  snprintf(j->message, sizeof j->message, "%s failed in MPI: %s", what, text);
  j->status = S_MPI;
}

static const char *NAMES[] = {"init", "barrier", "allReduce", "broadcast", "allGather", "reduceScatter", "destroy"};

/** Runs one job on the communication thread; returns its status. */
static void run(job_t *j) {
  int rc = MPI_SUCCESS;
  switch (j->kind) {
    case J_BARRIER: rc = MPI_Barrier(comm); break;
    case J_ALLREDUCE: rc = MPI_Allreduce(MPI_IN_PLACE, j->send, j->count, j->type, j->op, comm); break;
    case J_BCAST: rc = MPI_Bcast(j->send, j->count, j->type, j->root, comm); break;
    case J_ALLGATHER: rc = MPI_Allgather(j->send, j->count, j->type, j->recv, j->count, j->type, comm); break;
    case J_REDUCE_SCATTER: rc = MPI_Reduce_scatter_block(j->send, j->recv, j->count, j->type, j->op, comm); break;
    default: break;
  }
  if (rc != MPI_SUCCESS) return describe(j, rc, NAMES[j->kind]);
  // avg: the sum divided by the world size, as torch.distributed's ReduceOp.AVG.
  void *out = j->kind == J_REDUCE_SCATTER ? j->recv : j->send;
  if (j->avg && j->ta == napi_float32_array) {
    float *x = out;
    for (int i = 0; i < j->count; i++) x[i] /= (float)size;
  } else if (j->avg) {
    double *x = out;
    for (int i = 0; i < j->count; i++) x[i] /= (double)size;
  }
  j->status = S_OK;
}

static void start_mpi(job_t *j) {
  // Open MPI loads its components with dlopen; they need libmpi's symbols global, and Node
  // loaded this addon (and so libmpi) with RTLD_LOCAL.
  dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &thread_level);
  if (rc != MPI_SUCCESS) return describe(j, rc, "init");
  if (thread_level < MPI_THREAD_FUNNELED) {
    snprintf(j->message, sizeof j->message, "init: this MPI gives thread level %d; expected MPI_THREAD_FUNNELED or better", thread_level);
    j->status = S_MPI;
    return;
  }
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);  // a broken link comes back as an error code
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  MPI_Comm local;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local);
  MPI_Comm_rank(local, &local_rank);
  MPI_Comm_size(local, &local_size);
  MPI_Comm_free(&local);
  j->status = S_OK;
}

/** Hands a finished job to the main thread, which settles its promise and frees it. */
static void deliver(job_t *j) {
  napi_call_threadsafe_function(tsfn, j, napi_tsfn_blocking);
}

/** Fails every queued job but a finalize (called with the lock held). */
static void fail_queue(void) {
  job_t **at = &head;
  tail = NULL;
  while (*at != NULL) {
    job_t *j = *at;
    if (j->kind == J_FINALIZE) {
      tail = j;
      at = &j->next;
      continue;
    }
    *at = j->next;
    j->status = S_FAILED;
    snprintf(j->message, sizeof j->message, "%s: an earlier collective failed, so the ranks are out of step; expected a restart of the job", NAMES[j->kind]);
    deliver(j);
  }
}

static void *comm_main(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&lock);
    while (head == NULL) pthread_cond_wait(&wake, &lock);
    if (failed && head->kind != J_FINALIZE) {
      fail_queue();
      pthread_mutex_unlock(&lock);
      continue;
    }
    job_t *j = head;
    head = j->next;
    if (head == NULL) tail = NULL;
    running = j;
    clock_gettime(CLOCK_MONOTONIC, &running_since);
    pthread_cond_signal(&dog);
    pthread_mutex_unlock(&lock);

    int last = j->kind == J_FINALIZE;
    if (j->kind == J_INIT) start_mpi(j);
    else if (last && failed) {  // MPI_Finalize would wait for the rank that is gone
      j->status = S_FAILED;
      snprintf(j->message, sizeof j->message, "destroy: a collective failed earlier, so MPI cannot finalize; expected abort()");
    } else if (last) {
      if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
      MPI_Finalize();
      j->status = S_OK;
    } else run(j);

    pthread_mutex_lock(&lock);
    running = NULL;
    if (j->kind == J_INIT && j->status != S_OK) failed = 1;
    if (j->status == S_MPI) failed = 1;
    if (last && j->status == S_OK) finalized = 1;
    pthread_cond_signal(&dog);
    pthread_cond_broadcast(&done);
    if (j->settled) free(j);
    else deliver(j);
    pthread_mutex_unlock(&lock);
    if (last && finalized) return NULL;
  }
}

/** Fails a job that outlives the timeout, and everything queued behind it. */
static void *dog_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  while (!stopping) {
    // MPI_Init and MPI_Finalize wait on the launcher (ranks starting, or finishing their work),
    // which reports a rank that never starts itself; only collectives are timed.
    if (running == NULL || running->settled || running->kind == J_INIT || running->kind == J_FINALIZE) {
      pthread_cond_wait(&dog, &lock);
      continue;
    }
    double left = timeout_ms - elapsed_ms(&running_since);
    if (left > 0) {
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      long ns = until.tv_nsec + (long)((left < 50 ? left : 50) * 1e6);
      until.tv_sec += ns / 1000000000L;
      until.tv_nsec = ns % 1000000000L;
      pthread_cond_timedwait(&dog, &lock, &until);
      continue;
    }
    // The communication thread keeps the job (it may never return from MPI); the main thread
    // gets a copy that carries the promise.
    job_t *j = running, *copy = malloc(sizeof *copy);
    *copy = *j;
    j->settled = 1;
    copy->status = S_TIMEOUT;
    snprintf(copy->message, sizeof copy->message, "%s: no answer from the other ranks within %ld ms (a rank died or hangs, or the ranks called different collectives)", NAMES[j->kind], timeout_ms);
    failed = 1;
    deliver(copy);
    fail_queue();
    pthread_cond_broadcast(&done);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

// ---- the main thread ------------------------------------------------------------------------

static void settle_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  (void)context;
  job_t *j = data;
  if (env != NULL) {
    if (j->status == S_OK) {
      napi_value result;
      if (j->kind == J_INIT) {
        napi_create_object(env, &result);
        const char *keys[] = {"rank", "size", "localRank", "localSize", "threadLevel"};
        int values[] = {rank, size, local_rank, local_size, thread_level};
        for (int i = 0; i < 5; i++) {
          napi_value v;
          napi_create_int32(env, values[i], &v);
          napi_set_named_property(env, result, keys[i], v);
        }
      } else napi_get_undefined(env, &result);
      napi_resolve_deferred(env, j->deferred, result);
    } else {
      static const char *CODES[] = {"", "", "MPI_ERROR", "TIMEOUT", "FAILED"};
      napi_value msg, code, err;
      napi_create_string_utf8(env, j->message, NAPI_AUTO_LENGTH, &msg);
      napi_create_string_utf8(env, CODES[j->status], NAPI_AUTO_LENGTH, &code);
      napi_create_error(env, code, msg, &err);
      napi_reject_deferred(env, j->deferred, err);
    }
    for (int i = 0; i < 2; i++)
      if (j->keep[i] != NULL) napi_delete_reference(env, j->keep[i]);
    if (--pending == 0) napi_unref_threadsafe_function(env, tsfn);
  }
  free(j);
}

static napi_value throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static napi_value enqueue(napi_env env, job_t *j) {
  napi_value promise;
  napi_create_promise(env, &j->deferred, &promise);
  if (pending++ == 0) napi_ref_threadsafe_function(env, tsfn);
  pthread_mutex_lock(&lock);
  if (failed) {  // the queue is dead: fail at once
    j->status = S_FAILED;
    snprintf(j->message, sizeof j->message, "%s: an earlier collective failed, so the ranks are out of step; expected a restart of the job", NAMES[j->kind]);
    deliver(j);
    pthread_mutex_unlock(&lock);
    return promise;
  }
  if (tail == NULL) head = j;
  else tail->next = j;
  tail = j;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
  return promise;
}

static void cleanup(void *arg);

/** init(timeoutMs): starts the communication thread, which initialises MPI. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (started) return throw_error(env, "init: MPI was already started in this process");
  double t = 0;
  if (argc > 0 && napi_get_value_double(env, argv[0], &t) == napi_ok && t > 0) timeout_ms = (long)t;
  napi_value name;
  napi_create_string_utf8(env, "skein-mpi", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, settle_js, &tsfn);
  napi_unref_threadsafe_function(env, tsfn);
  job_t *j = calloc(1, sizeof *j);
  j->kind = J_INIT;
  napi_value promise = enqueue(env, j);
  started = 1;
  pthread_create(&comm_thread, NULL, comm_main, NULL);
  pthread_create(&dog_thread, NULL, dog_main, NULL);
  napi_add_env_cleanup_hook(env, cleanup, NULL);
  return promise;
}

static int mpi_type(napi_typedarray_type t, MPI_Datatype *out) {
  switch (t) {
    case napi_float32_array: *out = MPI_FLOAT; return 1;
    case napi_float64_array: *out = MPI_DOUBLE; return 1;
    case napi_int32_array: *out = MPI_INT; return 1;
    default: return 0;
  }
}

/** A typed array argument: its memory, length and type, and a reference that keeps it alive. */
static int array_arg(napi_env env, napi_value v, job_t *j, int slot, void **data, size_t *length) {
  napi_typedarray_type t;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &t, length, data, &ab, &offset) != napi_ok || !mpi_type(t, &j->type)) return 0;
  if (slot == 1 && t != j->ta) return 0;
  j->ta = t;
  napi_create_reference(env, v, 1, &j->keep[slot]);
  return 1;
}

static MPI_Op mpi_op(int code) {
  return code == 1 ? MPI_MAX : code == 2 ? MPI_MIN : MPI_SUM;
}

/**
 * collective(kind, a, b, arg): kind 1 barrier, 2 allReduce(a, op), 3 broadcast(a, root),
 * 4 allGather(a → b), 5 reduceScatter(a → b, op). op: 0 sum, 1 max, 2 min, 3 avg.
 */
static napi_value js_collective(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!started || closing) return throw_error(env, "collective: MPI is not running");
  int kind = 0, arg = 0;
  napi_get_value_int32(env, argv[0], &kind);
  if (argc > 3) napi_get_value_int32(env, argv[3], &arg);
  job_t *j = calloc(1, sizeof *j);
  j->kind = (kind_t)kind;
  size_t n = 0, m = 0;
  void *b = NULL;
  if (kind != J_BARRIER && !array_arg(env, argv[1], j, 0, &j->send, &n)) goto bad;
  if ((kind == J_ALLGATHER || kind == J_REDUCE_SCATTER) && !array_arg(env, argv[2], j, 1, &b, &m)) goto bad;
  j->recv = b;
  if (n > 0x7fffffff) goto bad;
  j->count = (int)n;
  if (kind == J_ALLGATHER && m != n * (size_t)size) goto bad;
  if (kind == J_REDUCE_SCATTER) {
    if (n != m * (size_t)size) goto bad;
    j->count = (int)m;
  }
  j->op = mpi_op(arg == 3 ? 0 : arg);
  j->avg = arg == 3 && (kind == J_ALLREDUCE || kind == J_REDUCE_SCATTER) && j->ta != napi_int32_array;
  j->root = arg;
  return enqueue(env, j);
bad:
  for (int i = 0; i < 2; i++)
    if (j->keep[i] != NULL) napi_delete_reference(env, j->keep[i]);
  free(j);
  return throw_error(env, "collective: bad arguments (the JavaScript side checks them first)");
}

/** finalize(): queued after every collective; resolves once MPI_Finalize returned. */
static napi_value js_finalize(napi_env env, napi_callback_info info) {
  (void)info;
  if (!started || closing) return throw_error(env, "finalize: MPI is not running");
  job_t *j = calloc(1, sizeof *j);
  j->kind = J_FINALIZE;
  closing = 1;
  return enqueue(env, j);
}

/** Ends the threads once finalized (from the main thread; joins them, so the process can exit). */
static void join_threads(void) {
  if (joined) return;
  joined = 1;
  pthread_mutex_lock(&lock);
  stopping = 1;
  pthread_cond_signal(&dog);
  pthread_mutex_unlock(&lock);
  pthread_join(dog_thread, NULL);
  pthread_join(comm_thread, NULL);
}

static napi_value js_join(napi_env env, napi_callback_info info) {
  (void)info;
  if (started && finalized) {
    join_threads();
    if (tsfn != NULL) napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    tsfn = NULL;
  }
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/** abort(code): MPI_Abort, which ends every rank of the job (this one too). */
static napi_value js_abort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int code = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc > 0) napi_get_value_int32(env, argv[0], &code);
  if (started && !finalized) MPI_Abort(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, code);
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/** state(): 'idle' | 'running' | 'failed' | 'finalized'. */
static napi_value js_state(napi_env env, napi_callback_info info) {
  (void)info;
  const char *s = !started ? "idle" : finalized ? "finalized" : failed ? "failed" : "running";
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

/**
 * At exit (the 'exit' event, and environment teardown): a healthy job finalizes, then the threads
 * end; a failed one (now, or while finalize waits) aborts, since MPI_Finalize would never return.
 * So does a process leaving with a non-zero code (an uncaught error, say): the other ranks are
 * likely waiting for it in a collective, and MPI_Abort ends them now rather than at the timeout.
 */
static void shutdown_with(int code) {
  if (!started || joined) return;
  pthread_mutex_lock(&lock);
  if (code != 0 && !finalized) failed = 1;
  if (!closing && !failed) {
    job_t *j = calloc(1, sizeof *j);
    j->kind = J_FINALIZE;
    j->settled = 1;  // nobody awaits it: the communication thread frees it
    closing = 1;
    if (tail == NULL) head = j;
    else tail->next = j;
    tail = j;
    pthread_cond_signal(&wake);
  }
  while (!finalized && !failed) pthread_cond_wait(&done, &lock);
  int abort_it = failed && !finalized;
  pthread_mutex_unlock(&lock);
  if (abort_it) MPI_Abort(comm != MPI_COMM_NULL ? comm : MPI_COMM_WORLD, code != 0 ? code : 1);
  join_threads();
}

static void cleanup(void *arg) {
  (void)arg;
  shutdown_with(0);
}

/** shutdown(exitCode): from the 'exit' event. */
static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int code = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc > 0) napi_get_value_int32(env, argv[0], &code);
  shutdown_with(code);
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"collective", NULL, js_collective, NULL, NULL, NULL, napi_default, NULL},
      {"finalize", NULL, js_finalize, NULL, NULL, NULL, napi_default, NULL},
      {"join", NULL, js_join, NULL, NULL, NULL, napi_default, NULL},
      {"abort", NULL, js_abort, NULL, NULL, NULL, napi_default, NULL},
      {"state", NULL, js_state, NULL, NULL, NULL, napi_default, NULL},
      {"shutdown", NULL, js_shutdown, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
