// Package deadline keeps a function's work inside its Lambda deadline. The
// context Lambda gives a handler ends when the function is killed; work
// under it that waits on a dependency that never answers would end with
// the function, without a response. Within ends the work reserve earlier,
// so that the SDK call fails and the function still answers (a 5xx in the
// surface's dialect, or a batch failure) before its timeout.
package deadline

import (
	"context"
	"time"
)

// reserve is the time kept to answer after the work's deadline.
const reserve = time.Second

// Within returns ctx ending reserve before ctx's deadline (a quarter of the
// time left when that is less than four Reserves); without a deadline, ctx
// as it is (cancellable).
func Within(ctx context.Context) (context.Context, context.CancelFunc) {
	end, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	reserve := reserve
	if left := time.Until(end); left < 4*reserve {
		reserve = left / 4
	}
	return context.WithDeadline(ctx, end.Add(-reserve))
}

// Sleep waits d, or less when ctx ends first (ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
