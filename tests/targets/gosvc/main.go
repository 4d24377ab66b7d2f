// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// gosvc is a small key-value service written the way Go services are written today, from
// popular modules: a chi router with its usual middleware, Prometheus metrics
// (client_golang, scraped at /metrics), and a gRPC server with the standard health service.
// Inside, a store of shards, each a map under a sync.RWMutex; a sync.Map of recent reads; a
// pool of workers fed through a channel; a second pool, for an admin route the load never
// calls, whose workers sit idle in `for j := range jobs` from start to end (as a service's
// rarely used pools do); a WaitGroup.Go fan-out over the shards; a background compactor on a
// ticker that flips the gRPC health status. It has no data race and leaks no goroutine:
// racetrace must report nothing on it (tests/e2e/gotests.py, go-service), even with a hang
// threshold of 1 s while it idles.
//
//	gosvc serve HTTP_PORT GRPC_PORT
//	    serve on 127.0.0.1 until SIGTERM or SIGINT, then shut down gracefully, exit 0
//	gosvc load HTTP_PORT GRPC_PORT SECONDS WORKERS
//	    drive a serving gosvc for SECONDS with WORKERS HTTP clients, one gRPC health client
//	    and one metrics scraper; print "load: N requests, F failed" on stdout; exit 1 when
//	    a request failed
package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const nshards = 8

type shard struct {
	mu   sync.RWMutex
	data map[string]entry
}

type entry struct {
	val  string
	gen  uint64
	hits int
}

type store struct {
	shards [nshards]shard
	gen    atomic.Uint64
	recent sync.Map // key -> last value read
}

func newStore() *store {
	s := &store{}
	for i := range s.shards {
		s.shards[i].data = make(map[string]entry)
	}
	return s
}

func (s *store) shard(key string) *shard {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &s.shards[h.Sum32()%nshards]
}

func (s *store) put(key, val string) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.data[key] = entry{val: val, gen: s.gen.Add(1)}
}

func (s *store) get(key string) (string, bool) {
	sh := s.shard(key)
	sh.mu.RLock()
	e, ok := sh.data[key]
	sh.mu.RUnlock()
	if ok {
		s.recent.Store(key, e.val)
	}
	return e.val, ok
}

// hit counts a read under the write lock (a map write next to the readers' map reads).
func (s *store) hit(key string) {
	sh := s.shard(key)
	sh.mu.Lock()
	if e, ok := sh.data[key]; ok {
		e.hits++
		sh.data[key] = e
	}
	sh.mu.Unlock()
}

// sizes counts every shard at once, one goroutine each.
func (s *store) sizes() []int {
	out := make([]int, nshards)
	var wg sync.WaitGroup
	for i := range s.shards {
		wg.Go(func() {
			sh := &s.shards[i]
			sh.mu.RLock()
			n := 0
			for range sh.data {
				n++
			}
			sh.mu.RUnlock()
			out[i] = n
		})
	}
	wg.Wait()
	return out
}

// compact drops the entries older than keep generations and the recent reads of them.
func (s *store) compact(keep uint64) int {
	now := s.gen.Load()
	dropped := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, e := range sh.data {
			if now > keep && e.gen < now-keep {
				delete(sh.data, k)
				s.recent.Delete(k)
				dropped++
			}
		}
		sh.mu.Unlock()
	}
	return dropped
}

// A job for the worker pool: the value to transform and where the answer goes.
type job struct {
	in  string
	out chan<- string
}

func worker(jobs <-chan job) {
	for j := range jobs {
		j.out <- strings.ToUpper(j.in)
	}
}

type server struct {
	st       *store
	jobs     chan job
	exports  chan job // the admin pool's: nothing sends here unless /export is called
	health   *health.Server
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	reg      *prometheus.Registry
	initOnce sync.Once
	banner   map[string]string
}

func newServer() *server {
	s := &server{st: newStore(), jobs: make(chan job, 64), exports: make(chan job),
		health: health.NewServer()}
	s.reg = prometheus.NewRegistry()
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gosvc_requests_total", Help: "Requests by route and status.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gosvc_request_seconds", Help: "Request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 8),
	}, []string{"route"})
	s.reg.MustRegister(s.requests, s.latency, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gosvc_keys", Help: "Keys in the store.",
	}, func() float64 {
		n := 0
		for _, k := range s.st.sizes() {
			n += k
		}
		return float64(n)
	}), prometheus.NewGoCollector())
	return s
}

// instrument counts and times a route.
func (s *server) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		h(ww, r)
		s.requests.WithLabelValues(route, strconv.Itoa(ww.Status())).Inc()
		s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}
}

func (s *server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.RealIP, middleware.Recoverer)
	r.Put("/kv/{key}", s.instrument("put", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.st.put(chi.URLParam(r, "key"), string(b))
		w.WriteHeader(http.StatusNoContent)
	}))
	r.Get("/kv/{key}", s.instrument("get", func(w http.ResponseWriter, r *http.Request) {
		key := chi.URLParam(r, "key")
		v, ok := s.st.get(key)
		if !ok {
			http.Error(w, "no such key", http.StatusNotFound)
			return
		}
		s.st.hit(key)
		io.WriteString(w, v)
	}))
	r.Get("/upper/{key}", s.instrument("upper", func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.st.get(chi.URLParam(r, "key"))
		if !ok {
			http.Error(w, "no such key", http.StatusNotFound)
			return
		}
		out := make(chan string, 1)
		s.jobs <- job{in: v, out: out}
		io.WriteString(w, <-out)
	}))
	r.Get("/export/{key}", s.instrument("export", func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.st.get(chi.URLParam(r, "key"))
		if !ok {
			http.Error(w, "no such key", http.StatusNotFound)
			return
		}
		out := make(chan string, 1)
		s.exports <- job{in: v, out: out}
		io.WriteString(w, <-out)
	}))
	r.Get("/stats", s.instrument("stats", func(w http.ResponseWriter, r *http.Request) {
		s.initOnce.Do(func() {
			s.banner = map[string]string{"service": "gosvc", "shards": strconv.Itoa(nshards)}
		})
		fmt.Fprintf(w, "%s %s %v\n", s.banner["service"], s.banner["shards"], s.st.sizes())
	}))
	r.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	return r
}

func serve(httpPort, grpcPort string) error {
	s := newServer()
	for range 4 {
		go worker(s.jobs)
	}
	for range 2 {
		go worker(s.exports)
	}
	hl, err := net.Listen("tcp", "127.0.0.1:"+httpPort)
	if err != nil {
		return err
	}
	gl, err := net.Listen("tcp", "127.0.0.1:"+grpcPort)
	if err != nil {
		return err
	}
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, s.health)
	s.health.SetServingStatus("gosvc", healthpb.HealthCheckResponse_SERVING)
	hs := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second}

	errs := make(chan error, 2)
	go func() { errs <- hs.Serve(hl) }()
	go func() { errs <- gs.Serve(gl) }()
	stop := make(chan struct{})
	compacted := make(chan struct{})
	go func() {
		defer close(compacted)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-t.C:
				s.st.compact(400)
				st := healthpb.HealthCheckResponse_SERVING
				if n%10 == 9 {
					st = healthpb.HealthCheckResponse_NOT_SERVING
				}
				s.health.SetServingStatus("gosvc-compacting", st)
			}
		}
	}()
	fmt.Fprintf(os.Stderr, "gosvc: serving http %s grpc %s\n", httpPort, grpcPort)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case err := <-errs:
		return err
	}
	close(stop)
	<-compacted
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		return err
	}
	gs.GracefulStop()
	close(s.jobs)
	close(s.exports)
	return nil
}

func load(httpPort, grpcPort string, seconds, workers int) error {
	base := "http://127.0.0.1:" + httpPort
	end := time.Now().Add(time.Duration(seconds) * time.Second)
	client := &http.Client{Timeout: 10 * time.Second}
	var reqs, fails atomic.Int64
	do := func(method, path string, body io.Reader, want ...int) {
		reqs.Add(1)
		req, err := http.NewRequest(method, base+path, body)
		if err == nil {
			var resp *http.Response
			if resp, err = client.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok := false
				for _, c := range want {
					ok = ok || resp.StatusCode == c
				}
				if !ok {
					err = fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
				}
			}
		}
		if err != nil {
			if fails.Add(1) <= 5 {
				fmt.Fprintf(os.Stderr, "gosvc load: %v\n", err)
			}
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; time.Now().Before(end); i++ {
				key := fmt.Sprintf("k%d", (w*1000+i)%200)
				do("PUT", "/kv/"+key, strings.NewReader(fmt.Sprintf("v%d-%d", w, i)), 204)
				do("GET", "/kv/"+key, nil, 200, 404)
				do("GET", "/upper/"+key, nil, 200, 404)
				if i%20 == 0 {
					do("GET", "/stats", nil, 200)
				}
			}
		})
	}
	wg.Go(func() {
		for time.Now().Before(end) {
			do("GET", "/metrics", nil, 200)
			time.Sleep(200 * time.Millisecond)
		}
	})
	wg.Go(func() {
		conn, err := grpc.NewClient("127.0.0.1:"+grpcPort,
			grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			fails.Add(1)
			fmt.Fprintf(os.Stderr, "gosvc load: grpc: %v\n", err)
			return
		}
		defer conn.Close()
		hc := healthpb.NewHealthClient(conn)
		for time.Now().Before(end) {
			reqs.Add(1)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "gosvc"})
			cancel()
			if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				err = errors.New("not serving")
			}
			if err != nil && fails.Add(1) <= 5 {
				fmt.Fprintf(os.Stderr, "gosvc load: grpc check: %v\n", err)
			}
		}
	})
	wg.Wait()
	fmt.Printf("load: %d requests, %d failed\n", reqs.Load(), fails.Load())
	if fails.Load() > 0 {
		return errors.New("requests failed")
	}
	return nil
}

func main() {
	usage := "usage: gosvc serve HTTP_PORT GRPC_PORT | gosvc load HTTP_PORT GRPC_PORT SECONDS WORKERS"
	a := os.Args[1:]
	var err error
	switch {
	case len(a) == 3 && a[0] == "serve":
		err = serve(a[1], a[2])
	case len(a) == 5 && a[0] == "load":
		secs, e1 := strconv.Atoi(a[3])
		workers, e2 := strconv.Atoi(a[4])
		if e1 != nil || e2 != nil || secs < 1 || workers < 1 {
			fmt.Fprintln(os.Stderr, usage)
			os.Exit(2)
		}
		err = load(a[1], a[2], secs, workers)
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gosvc: %v\n", err)
		os.Exit(1)
	}
}
