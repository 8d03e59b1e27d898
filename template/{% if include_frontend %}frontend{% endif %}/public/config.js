// Replaced by the container at start-up with its environment's settings (nginx/default.conf.template).
// Development reads the VITE_ variables instead.
window.__APP_CONFIG__ = {};
