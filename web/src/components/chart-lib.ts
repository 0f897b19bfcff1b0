// Chart.js with only the parts the report draws registered (tree-shaken). Loaded on demand by
// report-charts.tsx, so the pages every manager opens do not carry the chart library.
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

export { Chart };
