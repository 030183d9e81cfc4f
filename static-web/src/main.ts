import { createApi } from './api';
import { App } from './app';
import { renderForecastChart } from './components/chart';
import './styles.css';

const root = document.getElementById('app');
if (root) {
  const app = new App(root, {
    api: createApi(),
    fetch: (input, init) => fetch(input, init),
    storage: window.localStorage,
    history: window.history,
    renderChart: renderForecastChart,
  });
  void app.start();
}
