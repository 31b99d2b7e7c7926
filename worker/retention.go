package worker

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/discreet-crm/discreet"
	"github.com/discreet-crm/discreet/gateway"
	"github.com/discreet-crm/discreet/service"
)

// RouteRetention starts the day's retention sweep: App Engine cron (GET,
// daily, cron.yaml) or an admin (POST). The sweep is one job a day
// whoever starts it (service.StartRetentionSweep), so cron, the embedded
// ticker and an admin never run two.
const RouteRetention = "/v1/retention:sweep"

// retentionRoutes are POST and (for App Engine cron) GET RouteRetention:
// 202 with the day's job, 200 {"job": null} when the org keeps every
// email.
func retentionRoutes(a sweepAuth, svc func() *service.Service) []gateway.Route {
	return cronRoutes(RouteRetention, a, svc, func(ec echo.Context, s *service.Service, actor discreet.User) error {
		job, err := s.StartRetentionSweep(ec.Request().Context(), actor)
		if err != nil {
			return err
		}
		if job == nil {
			return ec.JSON(http.StatusOK, map[string]any{"job": nil})
		}
		return ec.JSON(http.StatusAccepted, map[string]any{"job": job})
	})
}

// retentionDaily starts the day's retention sweep from the embedded
// driver's ticker, once per UTC day of this process (the service makes a
// second start the same day a no-op anyway): the embedded store has no
// cron.
type retentionDaily struct {
	day string // the last day a sweep was started (or found started)
}

func (d *retentionDaily) tick(ctx context.Context, svc *service.Service, now time.Time, e *Embedded) {
	day := now.UTC().Format(time.DateOnly)
	if day == d.day {
		return
	}
	job, err := svc.StartRetentionSweep(ctx, discreet.User{Email: service.SystemActor})
	if err != nil {
		if ctx.Err() == nil {
			e.log.WarnContext(ctx, "cannot start the retention sweep; the next tick tries again", "err", err)
		}
		return
	}
	if job != nil {
		d.day = day // with no retention set, every tick asks again: it may be set any time
	}
}
