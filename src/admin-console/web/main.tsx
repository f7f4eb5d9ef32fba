import '@picocss/pico/css/pico.min.css';
import './console.css';
import { render } from 'preact';
import { App } from './app';
import { setPrefix } from './router';
import { readSettings } from './settings';

const root = document.getElementById('app');
if (root) {
  try {
    const settings = readSettings(root);
    setPrefix(settings.prefix);
    root.replaceChildren();
    render(<App settings={settings} />, root);
  } catch (error) {
    root.textContent = `The console could not start: ${(error as Error).message}`;
  }
}
