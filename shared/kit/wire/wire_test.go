package wire

import (
	"testing"
	"time"
)

func TestTimeHasOneShape(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC):                       "2026-11-24T09:00:00.000Z",
		time.Date(2026, 11, 24, 9, 0, 0, 455543488, time.UTC):               "2026-11-24T09:00:00.455Z",
		time.Date(2026, 11, 24, 10, 0, 0, 1e6, time.FixedZone("CET", 3600)): "2026-11-24T09:00:00.001Z",
	} {
		if got := Time(in); got != want {
			t.Errorf("Time(%v) = %s, want %s", in, got, want)
		}
	}
}

func TestMarshalDoesNotEscapeHTML(t *testing.T) {
	got, err := Marshal(map[string]string{"kycLink": "https://kyc.example/s?a=1&b=<2>"})
	if err != nil || string(got) != `{"kycLink":"https://kyc.example/s?a=1&b=<2>"}` {
		t.Fatalf("%s, %v", got, err)
	}
}
