package deadline

import (
	"context"
	"testing"
	"time"
)

func TestWithin(t *testing.T) {
	end := time.Now().Add(10 * time.Second)
	parent, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	ctx, stop := Within(parent)
	defer stop()
	got, ok := ctx.Deadline()
	if !ok || !got.Equal(end.Add(-reserve)) {
		t.Fatalf("deadline %v, want %v", got, end.Add(-reserve))
	}

	short, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(2*time.Second))
	defer cancel2()
	ctx2, stop2 := Within(short)
	defer stop2()
	got2, _ := ctx2.Deadline()
	parentEnd, _ := short.Deadline()
	if left := parentEnd.Sub(got2); left <= 0 || left > reserve {
		t.Fatalf("reserve of a short deadline: %v", left)
	}

	ctx3, stop3 := Within(context.Background())
	defer stop3()
	if _, ok := ctx3.Deadline(); ok {
		t.Fatal("a deadline out of none")
	}
}
