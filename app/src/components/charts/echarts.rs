//! The browser side of the graphs: loading ECharts (served by Tally itself,
//! only on pages that draw), and the few calls into an ECharts instance
//! that charming does not bind: options with a merge mode, click events,
//! resizing and disposal.

use std::cell::RefCell;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::ECHARTS_SCRIPT;

#[wasm_bindgen]
extern "C" {
    /// A chart drawn into one element.
    pub type Instance;

    #[wasm_bindgen(js_namespace = echarts, js_name = init)]
    fn init(element: &web_sys::Element) -> Instance;

    #[wasm_bindgen(method, js_name = setOption)]
    fn set_option(this: &Instance, option: &JsValue, settings: &JsValue);

    #[wasm_bindgen(method)]
    fn on(this: &Instance, event: &str, handler: &Function);

    #[wasm_bindgen(method)]
    fn off(this: &Instance, event: &str, handler: &Function);

    #[wasm_bindgen(method)]
    fn resize(this: &Instance);

    #[wasm_bindgen(method)]
    fn dispose(this: &Instance);
}

thread_local! {
    /// The one load of the ECharts script, shared by every chart of the page.
    static LOADING: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

fn loaded() -> bool {
    Reflect::get(&js_sys::global(), &"echarts".into()).is_ok_and(|e| !e.is_undefined())
}

/// Loads ECharts once: adds its script to the page and waits for it.
pub async fn load() -> Result<(), String> {
    if loaded() {
        return Ok(());
    }
    let promise = LOADING.with(|loading| {
        loading
            .borrow_mut()
            .get_or_insert_with(|| Promise::new(&mut add_script))
            .clone()
    });
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| format!("the chart library ({ECHARTS_SCRIPT}) could not be loaded"))
}

fn add_script(resolve: Function, reject: Function) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        let _ = reject.call0(&JsValue::NULL);
        return;
    };
    let script = document
        .create_element("script")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlScriptElement>().ok());
    let (Some(script), Some(head)) = (script, document.head()) else {
        let _ = reject.call0(&JsValue::NULL);
        return;
    };
    script.set_src(ECHARTS_SCRIPT);
    script.set_async(true);
    script.set_onload(Some(&resolve));
    script.set_onerror(Some(&reject));
    if head.append_child(&script).is_err() {
        let _ = reject.call0(&JsValue::NULL);
    }
}

/// What was clicked in a chart: the data item's index, and its value (for
/// a calendar, `[day, count]`).
pub struct Clicked {
    pub data_index: usize,
    pub value: JsValue,
}

/// A chart in an element, drawn and redrawn in place, with its click
/// handler; everything is released when it is dropped.
pub struct Drawn {
    instance: Instance,
    on_click: Option<Closure<dyn FnMut(JsValue)>>,
    observer: Option<web_sys::ResizeObserver>,
    _on_resize: Closure<dyn FnMut()>,
}

/// ECharts' `dataIndex`, a JavaScript number, as the index it stands for;
/// anything but a whole number in range is no index.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "checked first: a whole number from 0 to u32::MAX casts exactly"
)]
fn index_of(number: f64) -> Option<usize> {
    let whole = number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&number);
    whole.then_some(number as usize)
}

impl Drawn {
    pub fn new(element: &web_sys::Element, on_click: Option<Box<dyn Fn(Clicked)>>) -> Self {
        let instance = init(element);
        let on_click = on_click.map(|handler| {
            let closure = Closure::<dyn FnMut(JsValue)>::new(move |params: JsValue| {
                let get = |key: &str| Reflect::get(&params, &key.into()).ok();
                let data_index = get("dataIndex").and_then(|i| i.as_f64()).and_then(index_of);
                if let Some(data_index) = data_index {
                    handler(Clicked {
                        data_index,
                        value: get("value").unwrap_or(JsValue::UNDEFINED),
                    });
                }
            });
            instance.on("click", closure.as_ref().unchecked_ref());
            closure
        });
        // Follows the element's size (the viewport, a rotated phone, an
        // opened side panel) rather than only the window's.
        let resized = instance.clone().unchecked_into::<Instance>();
        let on_resize = Closure::<dyn FnMut()>::new(move || resized.resize());
        let observer = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
        if let Some(observer) = &observer {
            observer.observe(element);
        }
        Self {
            instance,
            on_click,
            observer,
            _on_resize: on_resize,
        }
    }

    /// Draws `option` (ECharts JSON) in place of what was drawn before.
    pub fn draw(&self, option: &serde_json::Value) {
        let Ok(option) = js_sys::JSON::parse(&option.to_string()) else {
            return;
        };
        // Components and series are replaced, not merged, so a series that
        // a new filter removes disappears; the instance (and its legend
        // state for kept series) stays.
        let settings = js_sys::Object::new();
        let replaced = js_sys::Array::of3(&"series".into(), &"xAxis".into(), &"yAxis".into());
        let _ = Reflect::set(&settings, &"replaceMerge".into(), &replaced);
        self.instance.set_option(&option, &settings);
    }
}

impl Drop for Drawn {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
        if let Some(closure) = &self.on_click {
            self.instance.off("click", closure.as_ref().unchecked_ref());
        }
        self.instance.dispose();
    }
}
