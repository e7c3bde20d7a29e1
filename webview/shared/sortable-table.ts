/**
 * A small sortable table: click a header to sort by that column (again to reverse); rows are data objects and each
 * column says how to render and how to compare. Rendering again keeps the chosen order (live search trials).
 */
import { clear, el } from './dom';

export interface Column<Row> {
  key: string;
  title: string;
  /** Cell content. */
  cell: (row: Row) => Node | string;
  /** Sort value; columns without one do not sort. */
  sort?: (row: Row) => number | string;
  align?: 'left' | 'right';
}

export class SortableTable<Row> {
  readonly element: HTMLTableElement;
  /** The table in a box that scrolls sideways, so a narrow panel (beside the model file) never clips columns. */
  readonly container: HTMLElement;
  private sortKey: string | undefined;
  private descending = true;
  private rows: Row[] = [];

  constructor(
    private readonly columns: Column<Row>[],
    options: {
      sortKey?: string;
      descending?: boolean;
      rowAttrs?: (row: Row) => Record<string, string | undefined>;
      onRowClick?: (row: Row) => void;
      /** Told the new order, so a panel that renders again can keep it. */
      onSort?: (key: string, descending: boolean) => void;
      label: string;
    },
  ) {
    this.sortKey = options.sortKey;
    this.descending = options.descending ?? true;
    this.rowAttrs = options.rowAttrs;
    this.onRowClick = options.onRowClick;
    this.onSort = options.onSort;
    this.element = el('table', { class: 'data', 'aria-label': options.label });
    this.container = el('div', { class: 'table-scroll' }, this.element);
  }

  private readonly rowAttrs?: (row: Row) => Record<string, string | undefined>;
  private readonly onRowClick?: (row: Row) => void;
  private readonly onSort?: (key: string, descending: boolean) => void;

  setRows(rows: Row[]): void {
    this.rows = rows;
    this.render();
  }

  private render(): void {
    clear(this.element);
    const head = el('tr');
    for (const c of this.columns) {
      const sorted = c.key === this.sortKey;
      const th = el(
        'th',
        {
          class: `col-${c.key} ${c.align ?? 'right'}${c.sort ? ' sortable' : ''}`,
          scope: 'col',
          'aria-sort': sorted ? (this.descending ? 'descending' : 'ascending') : undefined,
        },
        c.title,
      );
      if (c.sort) {
        th.tabIndex = 0;
        const toggle = () => {
          if (this.sortKey === c.key) this.descending = !this.descending;
          else {
            this.sortKey = c.key;
            this.descending = typeof c.sort!(this.rows[0] ?? ({} as Row)) === 'number';
          }
          this.onSort?.(c.key, this.descending);
          this.render();
        };
        th.addEventListener('click', toggle);
        th.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && toggle());
      }
      head.appendChild(th);
    }
    this.element.appendChild(el('thead', {}, head));
    const body = el('tbody');
    for (const row of this.sorted()) {
      const tr = el('tr', this.rowAttrs?.(row) ?? {});
      for (const c of this.columns)
        tr.appendChild(el('td', { class: `col-${c.key} ${c.align ?? 'right'}` }, c.cell(row)));
      if (this.onRowClick) {
        tr.classList.add('clickable');
        tr.addEventListener('click', () => this.onRowClick!(row));
      }
      body.appendChild(tr);
    }
    this.element.appendChild(body);
  }

  private sorted(): Row[] {
    const column = this.columns.find((c) => c.key === this.sortKey);
    if (!column?.sort) return this.rows;
    const key = column.sort;
    const dir = this.descending ? -1 : 1;
    return [...this.rows].sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
    });
  }
}

/** A horizontal bar for a table cell, its width a fraction of the column (negative values drawn in the other colour). */
export function cellBar(value: number, max: number): HTMLElement {
  const bar = el('div', { class: `bar${value < 0 ? ' neg' : ''}` });
  const f = max > 0 && Number.isFinite(value) ? Math.min(1, Math.abs(value) / max) : 0;
  // CSSOM writes are not inline style attributes, so the strict style-src allows them.
  bar.style.width = `${(100 * f).toFixed(1)}%`;
  return el('div', { class: 'bar-track' }, bar);
}
