// Package browser starts headless Chromium (Debian's, found by
// testenv.NeedChromium) for tests that drive a page with chromedp.
package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustline/trustline/internal/testenv"
)

// Phone starts headless Chromium with a phone's viewport (390×844) for one
// test, closed when the test ends. Without Chromium the test skips, or
// fails in CI (testenv.RequireTools).
func Phone(t testing.TB) context.Context {
	t.Helper()
	return PhoneFor(t, 60*time.Second)
}

// PhoneFor is Phone with the browser's whole life bounded by d instead of a
// minute, for a test that audits several pages in one browser (on a loaded
// machine six pages of axe-core did not fit in one minute).
func PhoneFor(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	chromium := testenv.NeedChromium(t)
	// Without the background-networking flags Chromium phones home, which
	// a closed network refuses, and start-up stalls.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(390, 844),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	return ctx
}
