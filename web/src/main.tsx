// Entry point of the manager's browser: styles, then the app into #app.
import { render } from 'preact';
import '@picocss/pico/css/pico.min.css';
import './style.css';
import { App } from './app.js';

render(<App />, document.getElementById('app')!);
