package testkit

import "sync"

// AtOnce runs f(0), …, f(n-1) in n goroutines released together, and waits
// for them: the way to make requests race.
func AtOnce(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}
