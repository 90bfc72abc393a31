"""Usage: data sessions from RADIUS accounting turned into usage per service per day, data caps
(overage, throttle, notify) and the TMF635 usage API."""
